import { Rng } from '@charrnn/data';
import type { ModelConfig } from '../model/config.js';
import { dropoutMask } from '../model/dropout.js';
import { NO_REGULARIZATION } from './regularization.js';
import { drawWindowMasks, drawsMasks } from './window-masks.js';

const config: ModelConfig = { arch: 'lstm', vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numLayers: 2, dropout: 0.3 };
const reg = { embedDropout: 0.1, outputDropout: 0.2, weightDrop: 0.5 };

describe('drawWindowMasks', () => {
  test('draws embedding, between-layer, output, then weight_hh masks, each of its size, in that order from one rng', () => {
    const masks = drawWindowMasks(new Rng(4), config, reg, 5);
    // The same draws by hand, in the documented order.
    const rng = new Rng(4);
    expect(masks.embed).toEqual(dropoutMask(rng, 0.1, 5 * 3));
    expect(masks.between).toEqual([dropoutMask(rng, 0.3, 5 * 4)]);
    expect(masks.output).toEqual(dropoutMask(rng, 0.2, 5 * 4));
    expect(masks.weightHh).toEqual([dropoutMask(rng, 0.5, 16 * 4), dropoutMask(rng, 0.5, 16 * 4)]);
    // Inverted dropout: 0 or 1/(1 − p), and both occur.
    expect(new Set(masks.weightHh[0])).toEqual(new Set([0, Math.fround(1 / 0.5)]));
  });

  test('a mask of p = 0 (or between-layer dropout on one layer) is not drawn and does not advance the rng', () => {
    const rng = new Rng(4);
    const none = drawWindowMasks(rng, { ...config, numLayers: 1 }, NO_REGULARIZATION, 5);
    expect(none).toEqual({ embed: null, between: [], output: null, weightHh: [] });
    expect(rng.next()).toBe(new Rng(4).next());
    expect(drawsMasks({ ...config, numLayers: 1 }, NO_REGULARIZATION)).toBe(false);
    expect(drawsMasks({ ...config, numLayers: 1 }, { ...NO_REGULARIZATION, outputDropout: 0.1 })).toBe(true);
    expect(drawsMasks(config, NO_REGULARIZATION)).toBe(true);
  });
});
