import { integerFlag, numberFlag } from '@charrnn/contract/node';
import { Command } from 'commander';
import { CommandLineError, helpText, parseCommandLine, type CommandSpec } from './command-line.js';

const spec: CommandSpec = {
  name: 'demo',
  description: 'A demo command.',
  options: {
    model: { flag: '--model <file>', description: 'model path', required: true },
    topK: { flag: '--top-k <k>', description: 'top k', parse: integerFlag(0), default: 0 },
    penalty: { flag: '--penalty <x>', description: 'a penalty', parse: numberFlag(-Infinity, Infinity) },
    stop: { flag: '--stop <text...>', description: 'stop strings' },
    backend: { flag: '--backend <name>', description: 'backend', default: 'auto' },
    quiet: { flag: '--quiet', description: 'say less' },
  },
};

/** What commander, as the other charrnn CLIs use it, says for the same command line. */
function commanderSays(argv: string[]): { options?: Record<string, unknown>; error?: string } {
  let error = '';
  const program = new Command('demo')
    .exitOverride()
    .configureOutput({ writeErr: (s) => (error += s), writeOut: () => undefined })
    .requiredOption('--model <file>', 'model path')
    .option('--top-k <k>', 'top k', integerFlag(0), 0)
    .option('--penalty <x>', 'a penalty', numberFlag(-Infinity, Infinity))
    .option('--stop <text...>', 'stop strings')
    .option('--backend <name>', 'backend', 'auto')
    .option('--quiet', 'say less', false);
  try {
    program.parse(argv, { from: 'user' });
  } catch {
    return { error: error.replace(/^error: /, '').trimEnd() };
  }
  return { options: program.opts() };
}

function oursSay(argv: string[]): { options?: Record<string, unknown>; error?: string } {
  try {
    return { options: parseCommandLine(spec, argv).options };
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    return { error: error.message };
  }
}

describe('parseCommandLine reads a command line as commander reads it', () => {
  test.each([
    [['--model', 'm.onnx']],
    [['--model=m.onnx', '--top-k', '5', '--quiet']],
    // A value may start with a dash, as an option-argument may (a negative penalty).
    [['--model', 'm', '--penalty', '-1.5']],
    // Several values after --stop, up to the next option; --stop again adds to them.
    [['--model', 'm', '--stop', 'a', 'b c', '--top-k', '2', '--stop', 'd']],
    [['--backend', 'cpu', '--model', 'm', '--model', 'n']],
  ])('%j: the same values', (argv) => {
    const ours = oursSay(argv);
    expect(ours.error).toBeUndefined();
    expect(ours).toEqual(commanderSays(argv));
  });

  test.each([
    [['--top-k', '1']],
    [['--model', 'm', '--top-k', 'x']],
    [['--model', 'm', '--top-k', '-1']],
    [['--model', 'm', '--nope']],
    [['--model']],
    [['--model', 'm', '--top-k']],
    [['--model', 'm', 'stray']],
  ])('%j: the same error', (argv) => {
    const ours = oursSay(argv);
    expect(ours.error).toEqual(expect.any(String));
    expect(ours).toEqual(commanderSays(argv));
  });

  test('positional arguments are counted against those the command takes', () => {
    const withArg: CommandSpec = { name: 'copy', description: 'Copies.', arguments: [['site-dir', 'where']], options: { runtimeOnly: { flag: '--runtime-only', description: 'less' } } };
    expect(parseCommandLine(withArg, ['site', '--runtime-only'])).toEqual({ options: { runtimeOnly: true }, args: ['site'], help: false });
    expect(parseCommandLine(withArg, ['--', '--site'])).toEqual({ options: { runtimeOnly: false }, args: ['--site'], help: false });
    expect(() => parseCommandLine(withArg, [])).toThrow(new CommandLineError("missing required argument 'site-dir'"));
    expect(() => parseCommandLine(withArg, ['a', 'b'])).toThrow(new CommandLineError('too many arguments. Expected 1 argument but got 2.'));
  });

  test('-h and --help ask for the help even when the rest would be refused', () => {
    expect(parseCommandLine(spec, ['-h']).help).toBe(true);
    expect(parseCommandLine(spec, ['--top-k', '3', '--help']).help).toBe(true);
  });

  test('the help lists usage, description, every option with its default, and -h', () => {
    expect(helpText(spec)).toBe(
      [
        'Usage: demo [options]',
        '',
        'A demo command.',
        '',
        'Options:',
        '  --model <file>    model path',
        '  --top-k <k>       top k (default: 0)',
        '  --penalty <x>     a penalty',
        '  --stop <text...>  stop strings',
        '  --backend <name>  backend (default: "auto")',
        '  --quiet           say less (default: false)',
        '  -h, --help        display help for command',
        '',
      ].join('\n'),
    );
  });
});
