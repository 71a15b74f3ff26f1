import { formatSchedule, learningRate, parseSchedule, ScheduleError, totalEpochs } from './schedule.js';

describe('schedules', () => {
  test("piecewise '6@1e-3,3@1e-4': 9 epochs, 1e-3 for epochs 0–5, then 1e-4", () => {
    const s = parseSchedule('6@1e-3,3@1e-4');
    expect(s).toEqual({ kind: 'piecewise', phases: [{ epochs: 6, lr: 1e-3 }, { epochs: 3, lr: 1e-4 }] });
    expect(totalEpochs(s)).toBe(9);
    expect([0, 5, 6, 8].map((e) => learningRate(s, e, 0.5))).toEqual([1e-3, 1e-3, 1e-4, 1e-4]);
    expect(formatSchedule(s)).toBe('6@1e-3,3@1e-4');
    expect(parseSchedule(formatSchedule(s))).toEqual(s);
  });

  test('sgdr:3x1x2@1e-2: cycles of 1, 2 and 4 epochs, cosine from lr to 0, restarting at each cycle', () => {
    const s = parseSchedule('sgdr:3x1x2@1e-2');
    expect(totalEpochs(s)).toBe(7);
    expect(learningRate(s, 0, 0)).toBeCloseTo(1e-2, 12);
    expect(learningRate(s, 0, 0.5)).toBeCloseTo(5e-3, 12);
    expect(learningRate(s, 1, 0)).toBeCloseTo(1e-2, 12); // restart
    expect(learningRate(s, 2, 0)).toBeCloseTo(5e-3, 12); // middle of the 2-epoch cycle
    expect(learningRate(s, 3, 0)).toBeCloseTo(1e-2, 12); // restart of the 4-epoch cycle
    expect(learningRate(s, 4, 0)).toBeCloseTo((1e-2 / 2) * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(s, 6, 0.999)).toBeLessThan(1e-7);
  });

  test('bad specs name the part and show valid examples', () => {
    expect(() => parseSchedule('6@1e-3,3e-4')).toThrow(ScheduleError);
    expect(() => parseSchedule('6@1e-3,3e-4')).toThrow('part "3e-4" is not <epochs>@<lr>; expected e.g. "6@1e-3,3@1e-4" or "sgdr:3x1x2@1e-3"');
    expect(() => parseSchedule('0@1e-3')).toThrow(/part "0@1e-3"/);
    expect(() => parseSchedule('sgdr:0x1x2@1e-3')).toThrow(/must be ≥ 1/);
  });
});
