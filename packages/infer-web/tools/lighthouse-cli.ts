#!/usr/bin/env node
// `nx run infer-web:lighthouse`: Lighthouse's scores of the demo page served by the demo server;
// prints a JSON report (the medians, every run, what failed) for tools/figures.mjs.
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { CHROMIUM } from './chromium.js';
import { compressSite, DEMO_BROTLI_QUALITY, startDemoServer } from './demo-server.js';
import { CATEGORIES, measure, METRICS, TARGETS } from './lighthouse.js';
import { median } from './page-bench.js';

const program = new Command('infer-web:lighthouse')
  .description("Lighthouse (mobile, simulated throttling: its defaults) on the demo page as the demo server sends it; prints a JSON report")
  .option('--runs <n>', 'Lighthouse runs (the report gives each and the medians)', integerFlag(1, 50), 5)
  .option('--keep <dir>', "keep Lighthouse's own reports (run-N.json, every audit's details) in this folder")
  .showHelpAfterError();
program.parse();
const { runs, keep } = program.opts<{ runs: number; keep?: string }>();

const load = () => Math.round(loadavg()[0] * 100) / 100;
const loads = [load()];
const site = await compressSite();
const server = await startDemoServer();
try {
  const measured = await measure(server.url, runs, keep === undefined ? undefined : resolve(keep));
  loads.push(load());
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, median(measured.runs.map((r) => r.scores[c]))]));
  const metrics = Object.fromEntries(METRICS.map((m) => [m, median(measured.runs.map((r) => r.metrics[m]))]));
  // What failed in any run, once, with the runs it failed in.
  const failing = new Map<string, { category: string; id: string; title: string; runs: number; displayValue?: string }>();
  for (const run of measured.runs) {
    for (const f of run.failing) {
      const key = `${f.category}/${f.id}`;
      const seen = failing.get(key);
      if (seen) seen.runs++;
      else failing.set(key, { category: f.category, id: f.id, title: f.title, runs: 1, displayValue: f.displayValue });
    }
  }
  const report = {
    date: new Date().toISOString(),
    chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim(),
    page: 'the demo page (/), served by the demo server with precompressed brotli',
    brotliQuality: DEMO_BROTLI_QUALITY,
    siteBrotliBytes: site.brotliBytes,
    loadAverage1m: loads,
    settings: measured.settings,
    targets: TARGETS,
    scores,
    metrics,
    runs: measured.runs,
    failing: [...failing.values()],
  };
  for (const c of CATEGORIES) console.error(`${c}: ${scores[c]} (runs ${measured.runs.map((r) => r.scores[c]).join(', ')}; target ≥ ${TARGETS[c]})`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await server.close();
}
