import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { useBackend } from '../model/test-helpers/backends.js';
import { DEFAULT_FIT_OPTIONS } from './fit-options.js';
import { lineChartSvg } from './line-chart.js';
import { lrFind } from './lr-find.js';

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
