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
import { compressSite, DEMO_BROTLI_QUALITY, DEMO_MODEL_FILE, startDemoServer } from './demo-server.js';
import { CHROMIUM, launchChromium, WEBGPU_ARGS } from './chromium.js';
import { buildBenchSite, demoFirstVisit, firstVisit, loadAverage, median, startBenchServer, wasmSpeed, type DemoVisit, type FirstVisit, type SpeedRound, type Throttle, type Variant } from './page-bench.js';
import { formatBytes } from './size-table.js';

const program = new Command('infer-web:page-bench')
  .description('Measure what a first visit downloads and waits for, and wasm chars/s, in Chromium: before (JSEP build) and now')
  .option('--runs <n>', 'first visits per variant and network', integerFlag(1, 100), 3)
  .option('--rounds <n>', 'chars/s rounds per variant (alternating)', integerFlag(1, 1000), 7)
  .option('--chars <n>', 'characters per chars/s round', integerFlag(100, 10_000_000), 5000)
  .option('--mbps <n>', 'throttled network: download megabits per second', numberFlag(0.1, Infinity), 20)
  .option('--latency <ms>', 'throttled network: round-trip latency added, ms', numberFlag(0, Infinity), 40)
  .option('--no-webgpu', 'skip the WebGPU path (SwiftShader)')
  .option('--demo-only', 'measure the demo page alone (its first visits), without the before/now comparison and the chars/s rounds')
  .option('--readme', "write the table into the package README (between its page-figures markers)")
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ runs: number; rounds: number; chars: number; mbps: number; latency: number; webgpu: boolean; demoOnly?: boolean; readme?: boolean }>();

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
  // The demo server itself over the build just made: its mounts, its compression, its headers.
  await compressSite(join(siteDir, 'new'));
  const demoServer = await startDemoServer({ browserDir: join(siteDir, 'new'), examplesOutDir: join(siteDir, 'examples') });
  const browser = await launchChromium();
  const gpuBrowser = flags.webgpu && !flags.demoOnly ? await launchChromium(WEBGPU_ARGS) : undefined;
  const visits: FirstVisit[] = [];
  const demoVisits: DemoVisit[] = [];
  try {
    for (let run = 0; run < flags.runs; run++) {
      for (const net of [undefined, throttle]) {
        demoVisits.push(await demoFirstVisit(browser, demoServer, net));
        if (flags.demoOnly) continue;
        for (const variant of (run % 2 === 0 ? ['before', 'new'] : ['new', 'before']) as Variant[]) {
          visits.push(await firstVisit(browser, server, variant, 'wasm', net));
        }
        if (gpuBrowser !== undefined) visits.push(await firstVisit(gpuBrowser, server, 'new', 'webgpu', net));
      }
      loads.push(loadAverage());
    }
    const demo = summariseDemo(demoVisits);
    if (flags.demoOnly) {
      const report = { date: started.toISOString(), chromium: chromiumVersion(), loadAverage1m: loads, settings: { ...flags, throttle }, demo };
      console.log(JSON.stringify(report, null, 2));
      console.log(`\n${renderDemo(demo, throttle)}`);
    } else {
      const speed = await wasmSpeed(browser, server, flags.rounds, flags.chars);
      loads.push(loadAverage());
      const report = { ...summarise(visits, speed), demo };
      console.log(JSON.stringify(report, null, 2));
      const table = `${renderTable(report)}\n\n${renderDemo(demo, throttle)}`;
      console.log(`\n${table}`);
      if (flags.readme) {
        await writeFigures(join(PACKAGE_ROOT, 'README.md'), table);
        console.log('figures written to README.md');
      }
    }
  } finally {
    await browser.close();
    await gpuBrowser?.close();
    await server.close();
    await demoServer.close();
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
    chromium: chromiumVersion(),
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

function chromiumVersion(): string {
  return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
}

interface DemoFigures {
  runs: number;
  /** Medians over the runs. */
  bytes: number;
  readyMs: number;
  firstCharMs: number;
  throttledReadyMs: number;
  throttledFirstCharMs: number;
  /** The first run's per-file bytes. */
  files: Record<string, number>;
}

function summariseDemo(visits: DemoVisit[]): DemoFigures {
  const open = visits.filter((v) => v.throttle === undefined);
  const throttled = visits.filter((v) => v.throttle !== undefined);
  return {
    runs: open.length,
    bytes: median(open.map((v) => v.bytes)),
    readyMs: median(open.map((v) => v.readyMs)),
    firstCharMs: median(open.map((v) => v.firstCharMs)),
    throttledReadyMs: median(throttled.map((v) => v.readyMs)),
    throttledFirstCharMs: median(throttled.map((v) => v.firstCharMs)),
    files: open[0].files,
  };
}

/** The demo page's figures against the targets: ≤ 4.5 MB on the wire, first character ≤ 1.5 s on localhost and ≤ 4 s throttled. */
function renderDemo(demo: DemoFigures, t: Throttle): string {
  const ms = (v: number) => `${Math.round(v)} ms`;
  const check = (ok: boolean) => (ok ? '✓' : '✗');
  return [
    `The demo page itself (\`nx run infer-web:demo\`'s server over this build: brotli ${DEMO_BROTLI_QUALITY}, cross-origin isolated; the generator's runtime in its worker), Start pressed the moment the generator is ready; medians of ${demo.runs} first visits:`,
    '',
    '| | figure | target |',
    '|---|---:|---|',
    `| bytes received before the first character (page, workers, model, runtime) | ${(demo.bytes / 1e6).toFixed(2)} MB | ≤ 4.5 MB ${check(demo.bytes <= 4.5e6)} |`,
    `| ready, localhost | ${ms(demo.readyMs)} | |`,
    `| first character, localhost | ${ms(demo.firstCharMs)} | ≤ 1.5 s ${check(demo.firstCharMs <= 1500)} |`,
    `| ready, ${t.mbps} Mbit/s + ${t.latencyMs} ms | ${ms(demo.throttledReadyMs)} | |`,
    `| first character, ${t.mbps} Mbit/s + ${t.latencyMs} ms | ${ms(demo.throttledFirstCharMs)} | ≤ 4 s ${check(demo.throttledFirstCharMs <= 4000)} |`,
    '',
    `What the demo page downloads (first visit): ${Object.entries(demo.files)
      .sort((a, b) => b[1] - a[1])
      .map(([file, bytes]) => `\`${file}\` ${formatBytes(bytes)}`)
      .join(', ')}.`,
  ].join('\n');
}

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
