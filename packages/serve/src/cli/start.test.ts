import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sseEvents, until } from '../test-helpers/http.js';

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

  it('drains on SIGTERM with 64 streams: each client gets its full text or an explicit error, none a reset; sessions are saved', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charrnn-cli-sessions-'));
    const child = spawn(process.execPath, [cli, '--port', '0', '--backend', 'cpu', '--max-tokens', '10000000', '--drain-seconds', '2', '--session-dir', dir], {
      cwd: workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(() => /listening on http/.test(out), 30_000, 'the server to listen');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      const session = (await (await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"the ","max_tokens":5,"session":true}' })).json()) as { session: string };
      // Half the clients ask for 200 characters, half for ten million (which no drain of 2 s lets finish).
      const responses = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'the ', max_tokens: i % 2 === 0 ? 200 : 10_000_000, seed: i, stream: true }) }),
        ),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      child.kill('SIGTERM');
      const bodies = await Promise.all(responses.map((r) => r.text()));
      let complete = 0;
      let cut = 0;
      for (const [i, body] of bodies.entries()) {
        const events = sseEvents(body);
        expect(events.at(-1)).toBe('[DONE]');
        const last = JSON.parse(events.at(-2)!) as { error?: { code: string }; choices?: { finish_reason: string | null }[] };
        if (last.error !== undefined) {
          expect(last.error.code).toBe('server_closing');
          cut++;
        } else {
          expect(last.choices![0].finish_reason).toBe('length');
          expect(i % 2).toBe(0);
          complete++;
        }
      }
      expect(cut).toBeGreaterThanOrEqual(32);
      expect(complete + cut).toBe(64);
      expect(await exited).toBe(0);
      const saved = JSON.parse(await readFile(path.join(dir, 'sessions.json'), 'utf8')) as { sessions: { id: string }[] };
      expect(saved.sessions.map((s) => s.id)).toEqual([session.session]);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad flag with a message naming it', async () => {
    const child = spawn(process.execPath, [cli, '--port', 'ninety'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toMatch(/--port.*expected an integer from 0 to 65535, got "ninety"/);
    // A server default is checked by the schema of the request parameter it stands for.
    const hot = spawn(process.execPath, [cli, '--port', '0', '--default-temperature', '5'], { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    let hotErr = '';
    hot.stderr.on('data', (d: Buffer) => (hotErr += d.toString()));
    expect(await new Promise<number | null>((resolve) => hot.on('exit', resolve))).not.toBe(0);
    expect(hotErr).toMatch(/--default-temperature is 5; expected a number from 0 to 2/);
  });
});
