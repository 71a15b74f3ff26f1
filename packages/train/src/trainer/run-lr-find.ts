import path from 'node:path';
import { writeFileAtomic } from '@charrnn/contract/node';
import { createProgress } from '@charrnn/data/node';
import { selectBackend } from '../backend/select.js';
import type { FitOptions } from './fit-options.js';
import { lineChartSvg } from './line-chart.js';
import { lrFind, type LrFindOptions, type LrFindResult } from './lr-find.js';
import { prepareFor } from './run.js';

/** The `train:lr-find` command: prints loss against lr, writes lr-find.jsonl and lr-find.svg into `out`. */
export async function runLrFind(req: { options: FitOptions; find: LrFindOptions; out: string; log?: (line: string) => void }): Promise<LrFindResult> {
  const log = req.log ?? ((line: string) => console.log(line));
  const backend = await selectBackend(req.options.backend);
  for (const line of backend.log) log(`backend: ${line}`);
  const corpus = await prepareFor(req.options, log);
  const result = lrFind(corpus, req.options, req.find, createProgress({ unit: 'batches' }));
  log('        lr      loss  smoothed');
  const every = Math.max(1, Math.floor(result.points.length / 25));
  result.points.forEach((p, i) => {
    if (i % every === 0 || i === result.points.length - 1) log(`${p.lr.toExponential(2).padStart(10)} ${p.loss.toFixed(4).padStart(9)} ${p.smoothed.toFixed(4).padStart(9)}`);
  });
  log(`steepest descent at lr ${result.steepest.toExponential(2)}; minimum loss lr / 10 = ${result.minimumOver10.toExponential(2)}`);
  await writeFileAtomic(path.join(req.out, 'lr-find.jsonl'), result.points.map((p) => JSON.stringify(p)).join('\n') + '\n');
  await writeFileAtomic(
    path.join(req.out, 'lr-find.svg'),
    lineChartSvg(
      [
        { name: 'smoothed loss', color: '#d62728', points: result.points.map((p) => [p.lr, p.smoothed] as const) },
        { name: 'batch loss', color: '#aec7e8', points: result.points.map((p) => [p.lr, p.loss] as const) },
      ],
      { title: `lr find: ${req.options.arch} h${req.options.hidden}, ${req.options.optimizer}`, xLabel: 'learning rate (log scale)', yLabel: 'loss', logX: true },
    ),
  );
  log(`wrote ${path.join(req.out, 'lr-find.svg')}`);
  return result;
}
