import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { useBackend } from '../model/test-helpers/backends.js';
import { DEFAULT_FIT_OPTIONS } from './fit-options.js';
import { lineChartSvg } from './line-chart.js';
import { lrFind, suggestLearningRates, type LrFindPoint } from './lr-find.js';

let corpus: PreparedCorpus;
beforeAll(async () => {
  await useBackend('wasm');
  corpus = prepareCorpus((await loadCorpus()).text.slice(0, 20_000));
});

describe('lrFind', () => {
  test('ramps the lr exponentially, stops when the loss explodes, and suggests an lr below the explosion', () => {
    const options = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 16, bs: 8 };
    const start = tf.memory().numTensors;
    const result = lrFind(corpus, options, { startLr: 1e-4, endLr: 1e3, batches: 60 });
    expect(tf.memory().numTensors).toBe(start);
    const { points } = result;
    expect(points[0].lr).toBeCloseTo(1e-4, 10);
    const ratio = points[1].lr / points[0].lr;
    expect(ratio).toBeCloseTo(1e7 ** (1 / 59), 8);
    expect(points[10].lr / points[9].lr).toBeCloseTo(ratio, 8);
    // Adam at lr ≥ 10 diverges on this model: the sweep stops before its last batch.
    expect(points.length).toBeLessThan(60);
    const min = Math.min(...points.map((p) => p.smoothed));
    expect(min).toBeLessThan(points[0].smoothed);
    expect(result.steepest).toBeGreaterThanOrEqual(1e-4);
    expect(result.steepest).toBeLessThan(points[points.length - 1].lr);
    // The suggestions are those of the points the sweep recorded.
    expect({ steepest: result.steepest, minimumOver10: result.minimumOver10 }).toEqual((({ steepest, minimumOver10 }) => ({ steepest, minimumOver10 }))(suggestLearningRates(points)));
    const lowest = points.reduce((a, b) => (b.smoothed < a.smoothed ? b : a));
    expect(result.minimumOver10).toBe(lowest.lr / 10);
  });
});

describe('suggestLearningRates', () => {
  // lr = 10^(k/4 − 5): four points a decade, so 5 points span log(10^1.25).
  const lrAt = (k: number) => 10 ** (k / 4 - 5);
  const sweep = (smoothed: number[]): LrFindPoint[] => smoothed.map((s, k) => ({ lr: lrAt(k), loss: s, smoothed: s }));

  test('steepest: the largest drop over 5 points, per unit of log lr, at or below the lowest loss', () => {
    // Flat, a gentle slope, a steep one ending at k = 12, gentle again, the minimum at k = 16, then
    // an explosion that is steeper still but upwards.
    const s = [4, 4, 4, 4, 4, 3.9, 3.8, 3.7, 3.6, 3.5, 3.0, 2.5, 2.0, 1.95, 1.9, 1.85, 1.8, 2.5, 5, 9];
    const r = suggestLearningRates(sweep(s));
    // slope(k) = (s[k] − s[k−5]) / ln(lr_k / lr_{k−5}); the most negative is at k = 12 (2.0 − 3.7 over 1.25 decades).
    expect(r.steepest).toBe(lrAt(12));
    expect(r.minimumOver10).toBe(lrAt(16) / 10);
    expect(r.points).toHaveLength(20);
  });

  test('a steeper fall after the lowest point is not taken; non-finite points are skipped', () => {
    // Lowest at k = 9 after a gentle descent; then a rise and a fall from 6 to 1.2 (k = 15) that is
    // steeper than anything before the lowest point, but comes after it.
    const s = [2, 2, 2, 2, 2, 1.9, 1.8, 1.7, 1.6, 1, 6, 7, 8, 9, 9, 1.2, Number.NaN, Number.POSITIVE_INFINITY];
    const r = suggestLearningRates(sweep(s));
    expect(r.minimumOver10).toBe(lrAt(9) / 10);
    expect(r.steepest).toBe(lrAt(9));
    // A non-finite first point is not the minimum; with fewer than 6 finite points there is no
    // 5-point slope and the steepest is the first finite lr.
    const short = suggestLearningRates(sweep([Number.NaN, 3, 2, 1]));
    expect(short.minimumOver10).toBe(lrAt(3) / 10);
    expect(short.steepest).toBe(lrAt(1));
  });
});

describe('lineChartSvg', () => {
  test('places points inside the plot and labels the series', () => {
    const svg = lineChartSvg([{ name: 'val <loss>', color: 'red', points: [[1, 2], [2, 1], [3, Number.NaN]] }], { title: 't', xLabel: 'epoch', yLabel: 'loss' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('val &lt;loss&gt;');
    const polyline = /points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
    expect(polyline).toHaveLength(2); // the NaN point is dropped
    expect(polyline[0][0]).toBe(60); // left margin
    expect(polyline[1][0]).toBe(620); // right edge: 640 − 20
    expect(polyline[1][1]).toBeGreaterThan(polyline[0][1]); // lower loss is drawn lower
  });
});
