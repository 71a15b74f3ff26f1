import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, '../../../..');
const cli = path.resolve(here, '../../dist/cli/start.js');

describe('serve:start (the built CLI)', () => {
  it('serves the default model, prints the URL, answers, and stops on SIGTERM', async () => {
    // The default model: the demo model on a fresh clone (no checkpoints/). The CLI runs from the workspace root, as nx runs it.
    const child = spawn(process.execPath, [cli, '--port', '0', '--backend', 'cpu'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed:\n${out}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
      });
      expect(out).toMatch(/model [\w-]+: 1-layer gru, hidden \d+, vocab \d+, fused graph, on cpu/);
      const response = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"the ","max_tokens":12}' });
      const body = (await response.json()) as { choices: { text: string }[] };
      expect(body.choices[0].text).toHaveLength(12);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('starts with --max-streams below the default --max-choices, and names flags (not option keys) when two disagree', async () => {
    const child = spawn(process.execPath, [cli, '--port', '0', '--backend', 'cpu', '--max-streams', '4'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const look = (d: Buffer): void => {
          out += d.toString();
          if (/listening on http/.test(out)) resolve();
        };
        child.stdout.on('data', look);
        child.stderr.on('data', look);
        child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
      });
    } finally {
      child.kill('SIGKILL');
    }
    const bad = spawn(process.execPath, [cli, '--port', '0', '--backend', 'cpu', '--max-streams', '4', '--max-choices', '8'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toMatch(/--max-choices is 8; expected at most --max-streams \(4\)/);
    expect(err).not.toMatch(/limits\./);
  });

  it('rejects a bad flag with a message naming it', async () => {
    const child = spawn(process.execPath, [cli, '--port', 'ninety'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toMatch(/--port.*expected an integer from 0 to 65535, got "ninety"/);
  });
});
