#!/usr/bin/env node
// CI's mutation testing: the full run (`npx nx run-many -t mutate`) takes longer than CI can give
// it on two cores, so CI re-tests only what changed. For each package with a Stryker config, the
// committed reports/mutation/<pkg>.incremental.json records the results of its last full run; when
// nothing that decides those results (the package's sources and tests, the jest preset) changed
// since that file was committed, the package is skipped, otherwise Stryker runs with
// --incremental, which re-tests only the mutants whose code or covering tests changed. The
// runs share one time budget (CHARRNN_MUTATE_BUDGET_S, default 180 s, so that CI stays within its 20 minutes); a run cut by it is reported,
// not failed: mutation scores are read, not gated. A Stryker run that fails (its tests fail in the
// sandbox) fails this script.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKSPACE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const git = (...args) => execFileSync('git', args, { cwd: WORKSPACE, encoding: 'utf8' }).trim();

/** Paths whose change since `base` can change package `pkg`'s mutation results. */
export function changedSince(base, pkg) {
  let out;
  try {
    out = git('diff', '--name-only', base, 'HEAD', '--', `packages/${pkg}/src`, `packages/${pkg}/jest.config.cjs`, 'jest.preset.cjs', 'tools/stryker-config.mjs', `packages/${pkg}/stryker.config.mjs`);
  } catch {
    return ['(the baseline commit is not in this clone, e.g. a shallow one)'];
  }
  return out === '' ? [] : out.split('\n');
}

function runStryker(pkg, seconds) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['stryker', 'run', `packages/${pkg}/stryker.config.mjs`, '--incremental', '--reporters', 'clear-text,json'], { cwd: WORKSPACE, stdio: 'inherit', detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid, 'SIGTERM');
    }, seconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut });
    });
  });
}

async function main() {
  let budget = Number(process.env.CHARRNN_MUTATE_BUDGET_S ?? 180);
  let failed = 0;
  const pkgs = readdirSync(path.join(WORKSPACE, 'packages')).filter((p) => existsSync(path.join(WORKSPACE, 'packages', p, 'stryker.config.mjs')));
  for (const pkg of pkgs) {
    const baseline = `reports/mutation/${pkg}.incremental.json`;
    if (!existsSync(path.join(WORKSPACE, baseline))) {
      console.log(`mutate ${pkg}: no ${baseline} committed; the full run is npx nx run ${pkg}:mutate`);
      continue;
    }
    const base = git('log', '-1', '--format=%H', '--', baseline);
    const changed = base === '' ? ['(baseline not committed)'] : changedSince(base, pkg);
    if (changed.length === 0) {
      console.log(`mutate ${pkg}: nothing changed since ${baseline} (${base.slice(0, 7)}); its results stand`);
      continue;
    }
    if (budget <= 30) {
      console.log(`mutate ${pkg}: ${changed.length} file(s) changed, but the time budget is spent; run npx nx run ${pkg}:mutate -- --incremental`);
      continue;
    }
    console.log(`mutate ${pkg}: ${changed.length} file(s) changed since ${base.slice(0, 7)} (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}); stryker --incremental, at most ${Math.round(budget)} s`);
    const started = Date.now();
    const { code, timedOut } = await runStryker(pkg, budget);
    budget -= (Date.now() - started) / 1000;
    if (timedOut) console.log(`mutate ${pkg}: stopped at the time budget; run npx nx run ${pkg}:mutate -- --incremental`);
    else if (code !== 0) {
      console.log(`mutate ${pkg}: stryker exited with ${code}`);
      failed++;
    }
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
