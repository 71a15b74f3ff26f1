// CLI tests run a package's command as a user does: bundled from its TypeScript source (the
// workspace's own packages from their sources too, so no build is needed first) into the
// package's .cache/, where its npm dependencies resolve from node_modules, and run in a child
// process with its exit code, signal, stdout and stderr collected.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import { workspaceSources } from './esbuild-workspace-sources.mjs';

/** Bundles the CLI at `entry` (a .ts file inside a package) to `<package>/.cache/cli-test/<name>.mjs`. */
export async function bundleCli(entry) {
  let pkg = dirname(entry);
  while (basename(dirname(pkg)) !== 'packages') pkg = dirname(pkg);
  const outfile = join(pkg, '.cache', 'cli-test', `${basename(entry, '.ts')}.mjs`);
  await mkdir(dirname(outfile), { recursive: true });
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', plugins: [workspaceSources()], outfile, logLevel: 'silent' });
  return outfile;
}

/**
 * Runs `node cli ...args` to its end; never rejects (a non-zero exit is a result to assert).
 * `options.env` adds variables to this process's environment.
 */
export function runCli(cli, args, options = {}) {
  return new Promise((resolve) => {
    const env = options.env ? { ...process.env, ...options.env } : undefined;
    const child = execFile(process.execPath, [cli, ...args], { cwd: options.cwd, env, timeout: options.timeout ?? 120_000, maxBuffer: 64 << 20 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
    child.stdin.end(options.input ?? '');
  });
}
