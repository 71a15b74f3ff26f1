#!/usr/bin/env node
// `nx run infer-web:page-bench`: first-visit bytes, time to first character and wasm chars/s of
// the script-tag build in Chromium, before (JSEP build) and now; prints JSON and a Markdown table,
// and with --readme writes the table into the README.
import { Command } from 'commander';
import { integerFlag, numberFlag } from '@charrnn/contract/node';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PACKAGE_ROOT } from './bundle.js';
import { DEMO_MODEL_FILE } from './demo-server.js';
import { CHROMIUM, launchChromium, WEBGPU_ARGS } from './chromium.js';
import { buildBenchSite, firstVisit, loadAverage, median, startBenchServer, wasmSpeed, type FirstVisit, type SpeedRound, type Throttle, type Variant } from './page-bench.js';
import { formatBytes } from './size-table.js';

const program = new Command('infer-web:page-bench')
  .description('Measure what a first visit downloads and waits for, and wasm chars/s, in Chromium: before (JSEP build) and now')
  .option('--runs <n>', 'first visits per variant and network', integerFlag(1, 100), 3)
  .option('--rounds <n>', 'chars/s rounds per variant (alternating)', integerFlag(1, 1000), 7)
  .option('--chars <n>', 'characters per chars/s round', integerFlag(100, 10_000_000), 5000)
  .option('--mbps <n>', 'throttled network: download megabits per second', numberFlag(0.1, Infinity), 20)
  .option('--latency <ms>', 'throttled network: round-trip latency added, ms', numberFlag(0, Infinity), 40)
  .option('--no-webgpu', 'skip the WebGPU path (SwiftShader)')
  .option('--readme', "write the table into the package README (between its page-figures markers)")
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ runs: number; rounds: number; chars: number; mbps: number; latency: number; webgpu: boolean; readme?: boolean }>();

const FIGURES_BEGIN = '<!-- page figures: written by `nx run infer-web:page-bench -- --readme`, do not edit -->';
const FIGURES_END = '<!-- end of page figures -->';

const MODEL_PATH = `model/${DEMO_MODEL_FILE}`;
const throttle: Throttle = { mbps: flags.mbps, latencyMs: flags.latency };
const siteDir = await mkdtemp(join(tmpdir(), 'infer-web-page-bench-'));
const loads: number[] = [loadAverage()];
const started = new Date();
try {
  await buildBenchSite(siteDir);
  const server = await startBenchServer(siteDir);
  const browser = await launchChromium();
  const gpuBrowser = flags.webgpu ? await launchChromium(WEBGPU_ARGS) : undefined;
  const visits: FirstVisit[] = [];
  try {
    for (let run = 0; run < flags.runs; run++) {
      for (const net of [undefined, throttle]) {
        for (const variant of (run % 2 === 0 ? ['before', 'new'] : ['new', 'before']) as Variant[]) {
          visits.push(await firstVisit(browser, server, variant, 'wasm', net));
        }
        if (gpuBrowser !== undefined) visits.push(await firstVisit(gpuBrowser, server, 'new', 'webgpu', net));
      }
      loads.push(loadAverage());
    }
    const speed = await wasmSpeed(browser, server, flags.rounds, flags.chars);
    loads.push(loadAverage());
    const report = summarise(visits, speed);
    console.log(JSON.stringify(report, null, 2));
    const table = renderTable(report);
    console.log(`\n${table}`);
    if (flags.readme) {
      await writeFigures(join(PACKAGE_ROOT, 'README.md'), table);
      console.log('figures written to README.md');
    }
  } finally {
    await browser.close();
    await gpuBrowser?.close();
    await server.close();
  }
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await rm(siteDir, { recursive: true, force: true });
}

interface PathFigures {
  variant: Variant;
  backend: string;
  ranOn: string[];
  /** Medians over the runs. */
  bytes: number;
  /** The same without the model's bytes: the page and the runtime alone. */
  bytesWithoutModel: number;
  firstCharMs: number;
  throttledFirstCharMs: number;
  /** The first run's per-file bytes. */
  files: Record<string, number>;
}

function summarise(visits: FirstVisit[], speed: SpeedRound[]) {
  const paths: PathFigures[] = [];
  for (const [variant, backend] of [['before', 'wasm'], ['new', 'wasm'], ['new', 'webgpu']] as const) {
    const mine = visits.filter((v) => v.variant === variant && v.backend === backend);
    if (mine.length === 0) continue;
    const open = mine.filter((v) => v.throttle === undefined);
    const throttled = mine.filter((v) => v.throttle !== undefined);
    paths.push({
      variant,
      backend,
      ranOn: [...new Set(mine.map((v) => v.ranOn))],
      bytes: median(open.map((v) => v.bytes)),
      bytesWithoutModel: median(open.map((v) => v.bytes - (v.files[MODEL_PATH] ?? 0))),
      firstCharMs: median(open.map((v) => v.firstCharMs)),
      throttledFirstCharMs: median(throttled.map((v) => v.firstCharMs)),
      files: open[0].files,
    });
  }
  const of = (variant: Variant, key: 'charsPerSecond' | 'charsPerCpuSecond') => speed.filter((s) => s.variant === variant).map((s) => s[key]);
  // Round i of one variant against round i of the other (they ran next to each other).
  const ratios = (key: 'charsPerSecond' | 'charsPerCpuSecond') => of('new', key).map((v, i) => v / of('before', key)[i]);
  return {
    date: started.toISOString(),
    chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim(),
    loadAverage1m: loads,
    settings: { ...flags, throttle },
    paths,
    wasmCharsPerSecond: { before: median(of('before', 'charsPerSecond')), new: median(of('new', 'charsPerSecond')), medianRatio: median(ratios('charsPerSecond')) },
    wasmCharsPerCpuSecond: {
      before: median(of('before', 'charsPerCpuSecond')),
      new: median(of('new', 'charsPerCpuSecond')),
      medianRatio: median(ratios('charsPerCpuSecond')),
    },
    rounds: speed,
  };
}

type Report = ReturnType<typeof summarise>;

function renderTable(report: Report): string {
  const find = (variant: Variant, backend: string) => report.paths.find((p) => p.variant === variant && p.backend === backend);
  const before = find('before', 'wasm')!;
  const now = find('new', 'wasm')!;
  const gpu = find('new', 'webgpu');
  const ms = (v: number) => `${Math.round(v)} ms`;
  // Two decimals: the target is 4 MB, and one decimal would round 4.04 MB down to it.
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  const ratio = report.wasmCharsPerSecond.medianRatio;
  const cpuRatio = report.wasmCharsPerCpuSecond.medianRatio;
  const t = report.settings.throttle;
  const lines = [
    `Measured ${report.date.slice(0, 16).replace('T', ' ')} UTC in ${report.chromium}, headless, on this 2-core machine shared with other work (1-minute load average ${report.loadAverage1m.join(' → ')}): medians of ${report.settings.runs} first visits (fresh browser context each) and ${report.settings.rounds} alternating rounds of ${report.settings.chars} characters.`,
    '',
    `| | before: default (JSEP) build, wasm | now: wasm build | now: WebGPU (${gpu === undefined ? 'not run' : gpuBuild(gpu)}; SwiftShader, on the CPU) |`,
    '|---|---:|---:|---:|',
    `| first visit: bytes received before the first character (gzip), page and runtime | ${mb(before.bytesWithoutModel)} | **${mb(now.bytesWithoutModel)}** | ${gpu ? mb(gpu.bytesWithoutModel) : '—'} |`,
    `| the same with the demo model (\`${DEMO_MODEL_FILE}\`, GRU 1×128, float32) | ${mb(before.bytes)} | **${mb(now.bytes)}** | ${gpu ? mb(gpu.bytes) : '—'} |`,
    `| time to first character, localhost | ${ms(before.firstCharMs)} | ${ms(now.firstCharMs)} | ${gpu ? ms(gpu.firstCharMs) : '—'} |`,
    `| time to first character, ${t.mbps} Mbit/s + ${t.latencyMs} ms | ${ms(before.throttledFirstCharMs)} | ${ms(now.throttledFirstCharMs)} | ${gpu ? ms(gpu.throttledFirstCharMs) : '—'} |`,
    `| batch-1 characters/s, wasm (wall clock) | ${Math.round(report.wasmCharsPerSecond.before)} | ${Math.round(report.wasmCharsPerSecond.new)} (×${ratio.toFixed(2)}, median of per-round ratios) | — |`,
    `| batch-1 characters per CPU-second of Chromium, wasm | ${Math.round(report.wasmCharsPerCpuSecond.before)} | ${Math.round(report.wasmCharsPerCpuSecond.new)} (×${cpuRatio.toFixed(2)}) | — |`,
    '',
    `Targets: the wasm path's first visit ${now.bytesWithoutModel.toLocaleString('en-US')} bytes without the model, ` +
      `${now.bytes.toLocaleString('en-US')} with it: ${now.bytes <= 4e6 ? '≤ 4 MB ✓ either way' : now.bytesWithoutModel <= 4e6 ? '≤ 4 MB ✓ without the model only' : '> 4 MB ✗'}; ` +
      `wasm characters per CPU-second ×${cpuRatio.toFixed(2)} of before ${cpuRatio >= 0.97 ? '✓ (no regression)' : '✗'} (by the wall clock ×${ratio.toFixed(2)}).`,
    '',
    `What the wasm path downloads now (first visit, bytes received): ${Object.entries(now.files)
      .sort((a, b) => b[1] - a[1])
      .map(([file, bytes]) => `\`${file}\` ${formatBytes(bytes)}`)
      .join(', ')}.`,
  ];
  return lines.join('\n');
}

/** Which native-WebGPU build the page fetched, and where it ran (a fallback would show as wasm). */
function gpuBuild(path: PathFigures): string {
  const files = Object.keys(path.files);
  const build = files.some((f) => f.includes('.jspi.')) ? 'jspi build' : files.some((f) => f.includes('.asyncify.')) ? 'asyncify build' : 'no WebGPU build fetched';
  return `${build}, ran on ${path.ranOn.join(' and ')}`;
}

async function writeFigures(readmeFile: string, table: string): Promise<void> {
  const readme = await readFile(readmeFile, 'utf8');
  const begin = readme.indexOf(FIGURES_BEGIN);
  const end = readme.indexOf(FIGURES_END);
  if (begin === -1 || end < begin) throw new Error(`${readmeFile} has no page-figures markers: put ${FIGURES_BEGIN} and ${FIGURES_END} on lines of their own`);
  const updated = `${readme.slice(0, begin + FIGURES_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
  const temp = join(dirname(readmeFile), `.${basename(readmeFile)}.${process.pid}.tmp`);
  await writeFile(temp, updated);
  await rename(temp, readmeFile);
}
