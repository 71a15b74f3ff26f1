/**
 * The command line of infer-web's CLIs, read with node:util's parseArgs rather than an argument
 * parsing library: a web app that installs @charrnn/infer-web for its browser entry gets no CLI
 * framework with it. Help and errors are worded as commander words them for the other charrnn CLIs
 * ("error: option '--top-k <k>' argument 'x' is invalid. expected an integer ≥ 0, got \"x\""), and
 * values are checked by the same parsers (@charrnn/contract/node's integerFlag, numberFlag, …).
 */
import { parseArgs } from 'node:util';

/** One option: `flag` is its usage ('--top-k <k>', '--stop <text...>' for several values, '--runtime-only' for a switch). */
export interface OptionSpec {
  readonly flag: string;
  readonly description: string;
  /** Turns the text given into the value; throws (with a message saying what would be valid) to refuse it. */
  readonly parse?: (value: string) => unknown;
  readonly default?: unknown;
  readonly required?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  /** Required positional arguments, in order: name and description. */
  readonly arguments?: readonly (readonly [string, string])[];
  /** By the key the parsed values are returned under (camelCase of the flag). */
  readonly options: Readonly<Record<string, OptionSpec>>;
}

export interface CommandLine {
  readonly options: Record<string, unknown>;
  readonly args: string[];
}

/** The command line is not one the command takes; the message is what to print after "error: ". */
export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

interface Flag {
  readonly key: string;
  readonly long: string;
  readonly takesValue: boolean;
  readonly variadic: boolean;
  readonly spec: OptionSpec;
}

function flagsOf(spec: CommandSpec): Flag[] {
  return Object.entries(spec.options).map(([key, option]) => {
    const match = /^--([a-z0-9-]+)(?: <[^>]*?(\.\.\.)?>)?$/.exec(option.flag);
    if (!match) throw new Error(`option ${key}'s flag ${JSON.stringify(option.flag)} is not of the form '--name', '--name <value>' or '--name <values...>'`);
    return { key, long: match[1], takesValue: option.flag.includes('<'), variadic: match[2] !== undefined, spec: option };
  });
}

/** Reads `argv` (the arguments after the script) as `spec` says, or throws a CommandLineError; `help` when -h/--help was given. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine & { help: boolean } {
  const flags = flagsOf(spec);
  const byName = new Map(flags.map((f) => [f.long, f]));
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(flags.map((f) => [f.long, { type: f.takesValue ? ('string' as const) : ('boolean' as const) }])),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options: Record<string, unknown> = {};
  const args: string[] = [];
  let help = false;
  let collecting: Flag | undefined;
  let terminated = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      terminated = true;
      collecting = undefined;
    } else if (token.kind === 'positional') {
      if (collecting && !terminated) (options[collecting.key] as string[]).push(token.value);
      else args.push(token.value);
    } else if (token.name === 'help') {
      help = true;
    } else {
      const flag = byName.get(token.name);
      if (!flag) throw new CommandLineError(`unknown option '${token.rawName}'`);
      collecting = undefined;
      if (!flag.takesValue) {
        options[flag.key] = true;
        continue;
      }
      if (token.value === undefined) throw new CommandLineError(`option '${flag.spec.flag}' argument missing`);
      let value: unknown;
      try {
        value = flag.spec.parse ? flag.spec.parse(token.value) : token.value;
      } catch (error) {
        throw new CommandLineError(`option '${flag.spec.flag}' argument '${token.value}' is invalid. ${(error as Error).message}`);
      }
      if (flag.variadic) {
        // As commander reads '--stop <text...>': the values that follow, up to the next option.
        options[flag.key] = [...((options[flag.key] as unknown[] | undefined) ?? []), value];
        collecting = flag;
      } else {
        options[flag.key] = value;
      }
    }
  }
  if (help) return { options, args, help };
  for (const flag of flags) {
    if (options[flag.key] !== undefined) continue;
    if (flag.spec.required) throw new CommandLineError(`required option '${flag.spec.flag}' not specified`);
    options[flag.key] = flag.spec.default ?? (flag.takesValue ? undefined : false);
  }
  const wanted = spec.arguments ?? [];
  if (args.length < wanted.length) throw new CommandLineError(`missing required argument '${wanted[args.length][0]}'`);
  if (args.length > wanted.length) {
    throw new CommandLineError(`too many arguments. Expected ${wanted.length} argument${wanted.length === 1 ? '' : 's'} but got ${args.length}.`);
  }
  return { options, args, help };
}

/** The --help text, laid out as commander lays it out. */
export function helpText(spec: CommandSpec): string {
  const wanted = spec.arguments ?? [];
  const rows = (list: (readonly [string, string])[]) => {
    const width = Math.max(...list.map(([term]) => term.length));
    return list.map(([term, text]) => `  ${term.padEnd(width)}  ${text}`).join('\n');
  };
  const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
  const options = flagsOf(spec).map(({ spec: o, takesValue }): [string, string] => {
    const fallback = o.default ?? (takesValue ? undefined : false);
    return [o.flag, fallback === undefined ? o.description : `${o.description} (default: ${shown(fallback)})`];
  });
  const usage = `Usage: ${spec.name} [options]${wanted.map(([name]) => ` <${name}>`).join('')}`;
  const sections = [usage, spec.description];
  if (wanted.length > 0) sections.push(`Arguments:\n${rows([...wanted])}`);
  sections.push(`Options:\n${rows([...options, ['-h, --help', 'display help for command']])}`);
  return `${sections.join('\n\n')}\n`;
}

/** The command line of this process, read as `spec` says: --help prints the help and exits 0; a bad line prints the error and the help and exits 1. */
export function readCommandLine(spec: CommandSpec, argv: readonly string[] = process.argv.slice(2)): CommandLine {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(spec, argv);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${helpText(spec)}`);
    process.exit(1);
  }
  if (parsed.help) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  return { options: parsed.options, args: parsed.args };
}
