/**
 * Lighthouse on the demo page as the demo server sends it (precompressed brotli, tools/demo-server),
 * with Lighthouse's defaults: a mobile phone's screen and simulated throttling (150 ms round trips,
 * 1.6 Mbit/s, the CPU slowed 4×). Lighthouse's own CLI drives Debian's Chromium (CHROME_PATH, the
 * browser tests' flags), once per run in a fresh profile; scores vary between runs, so the report
 * keeps every run and the medians.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

/** The categories the targets name, as Lighthouse's ids. */
export const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;
export type Category = (typeof CATEGORIES)[number];
/** The lowest score (0-100) of each category that meets the demo's targets. */
export const TARGETS: Readonly<Record<Category, number>> = { performance: 90, accessibility: 95, 'best-practices': 95 };
/** The metrics behind the performance score, in Lighthouse's audit ids (ms, CLS unitless). */
export const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index'] as const;
export type Metric = (typeof METRICS)[number];

/** The parts of a Lighthouse result (LHR) read here. */
interface LighthouseResult {
  lighthouseVersion: string;
  environment: { hostUserAgent: string; benchmarkIndex: number };
  configSettings: {
    formFactor: string;
    throttlingMethod: string;
    throttling: { rttMs: number; throughputKbps: number; cpuSlowdownMultiplier: number };
    screenEmulation: { width: number; height: number; deviceScaleFactor: number; mobile: boolean };
  };
  categories: Record<string, { score: number | null; auditRefs: { id: string; weight: number }[] }>;
  audits: Record<string, { title: string; score: number | null; scoreDisplayMode: string; numericValue?: number; displayValue?: string }>;
  runtimeError?: { code: string; message: string };
}

export interface LighthouseRun {
  scores: Record<Category, number>;
  metrics: Record<Metric, number>;
  /** Lighthouse's measure of the machine's speed at that moment (higher is faster; its reference desktop is about 1,000+). */
  benchmarkIndex: number;
  /** Audits that count in a category's score and did not pass: what keeps it under 100. */
  failing: { category: Category; id: string; title: string; score: number; weight: number; displayValue?: string }[];
}

export interface LighthouseSettings {
  lighthouse: string;
  userAgent: string;
  formFactor: string;
  throttlingMethod: string;
  rttMs: number;
  throughputKbps: number;
  cpuSlowdownMultiplier: number;
  screen: { width: number; height: number; deviceScaleFactor: number };
}

const requireHere = createRequire(import.meta.url);

/** Lighthouse's CLI, from the workspace's devDependency. */
function lighthouseCli(): string {
  return join(dirname(requireHere.resolve('lighthouse/package.json')), 'cli', 'index.js');
}

/** One Lighthouse run of `url` in its own Chromium; the LHR it wrote. */
async function runLighthouse(url: string, outDir: string, index: number): Promise<LighthouseResult> {
  const output = join(outDir, `run-${index}.json`);
  const args = [
    lighthouseCli(),
    url,
    '--output=json',
    `--output-path=${output}`,
    `--only-categories=${CATEGORIES.join(',')}`,
    `--chrome-flags=${CHROMIUM_ARGS.join(' ')}`,
    '--quiet',
  ];
  await new Promise<void>((ok, fail) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`lighthouse exited with ${code} on ${url}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`))));
  });
  const lhr = JSON.parse(await readFile(output, 'utf8')) as LighthouseResult;
  if (lhr.runtimeError) throw new Error(`lighthouse could not measure ${url}: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  return lhr;
}

export function readRun(lhr: LighthouseResult): LighthouseRun {
  const scores = {} as Record<Category, number>;
  const failing: LighthouseRun['failing'] = [];
  for (const category of CATEGORIES) {
    const c = lhr.categories[category];
    if (c?.score === null || c?.score === undefined) throw new Error(`the Lighthouse result has no ${category} score`);
    scores[category] = Math.round(c.score * 100);
    for (const ref of c.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit?.score !== null && audit?.score !== undefined && audit.score < 1) {
        failing.push({ category, id: ref.id, title: audit.title, score: audit.score, weight: ref.weight, displayValue: audit.displayValue });
      }
    }
  }
  const metrics = {} as Record<Metric, number>;
  for (const metric of METRICS) metrics[metric] = lhr.audits[metric].numericValue!;
  return { scores, metrics, benchmarkIndex: lhr.environment.benchmarkIndex, failing };
}

export function readSettings(lhr: LighthouseResult): LighthouseSettings {
  const s = lhr.configSettings;
  return {
    lighthouse: lhr.lighthouseVersion,
    userAgent: lhr.environment.hostUserAgent,
    formFactor: s.formFactor,
    throttlingMethod: s.throttlingMethod,
    rttMs: s.throttling.rttMs,
    throughputKbps: s.throttling.throughputKbps,
    cpuSlowdownMultiplier: s.throttling.cpuSlowdownMultiplier,
    screen: { width: s.screenEmulation.width, height: s.screenEmulation.height, deviceScaleFactor: s.screenEmulation.deviceScaleFactor },
  };
}

/** `runs` Lighthouse runs of `url`, one after another; with `keepDir`, Lighthouse's own reports are kept there (run-N.json). */
export async function measure(url: string, runs: number, keepDir?: string): Promise<{ settings: LighthouseSettings; runs: LighthouseRun[] }> {
  if (keepDir !== undefined) await mkdir(keepDir, { recursive: true });
  const outDir = keepDir ?? (await mkdtemp(join(tmpdir(), 'infer-web-lighthouse-')));
  try {
    const out: LighthouseRun[] = [];
    let settings: LighthouseSettings | undefined;
    for (let i = 0; i < runs; i++) {
      const lhr = await runLighthouse(url, outDir, i);
      settings ??= readSettings(lhr);
      out.push(readRun(lhr));
    }
    return { settings: settings!, runs: out };
  } finally {
    if (keepDir === undefined) await rm(outDir, { recursive: true, force: true });
  }
}
