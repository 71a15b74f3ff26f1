import { formatLearningRate, formatSchedule, learningRate, parseSchedule, ScheduleError, totalEpochs } from './schedule.js';

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

  test('spaces around the spec and its parts, and upper case, are accepted; bounds are inclusive at 1', () => {
    expect(parseSchedule(' 6@1E-3 , 3@1e-4 ')).toEqual({ kind: 'piecewise', phases: [{ epochs: 6, lr: 1e-3 }, { epochs: 3, lr: 1e-4 }] });
    expect(parseSchedule(' SGDR:1x1x1@1E-2 ')).toEqual({ kind: 'sgdr', lr: 1e-2, cycles: 1, cycleLen: 1, cycleMult: 1 });
    expect(parseSchedule('1@0.5')).toEqual({ kind: 'piecewise', phases: [{ epochs: 1, lr: 0.5 }] });
  });

  test.each(['sgdr:1x0x1@1e-3', 'sgdr:1x1x0@1e-3', 'sgdr:1x1x1@0', '2@0'])('%s is refused (zero length, multiplier or lr)', (spec) => {
    let error: unknown;
    try {
      parseSchedule(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScheduleError);
    expect((error as Error).name).toBe('ScheduleError');
    expect((error as Error).message).toMatch(new RegExp(`^schedule "${spec}": `));
  });

  test('piecewise: each phase in turn over three phases, the last one after the end', () => {
    const s = parseSchedule('2@1e-1,3@1e-2,4@1e-3');
    expect([0, 1, 2, 4, 5, 8, 9, 20].map((e) => learningRate(s, e, 0))).toEqual([1e-1, 1e-1, 1e-2, 1e-2, 1e-3, 1e-3, 1e-3, 1e-3]);
  });

  test('sgdr: 0 after the last cycle; printed back as written', () => {
    const s = parseSchedule('sgdr:3x1x2@1e-3');
    expect([7, 8, 15, 100].map((e) => learningRate(s, e, 0))).toEqual([0, 0, 0, 0]);
    expect(formatSchedule(s)).toBe('sgdr:3x1x2@1e-3');
  });

  test.each([
    [0.001, '1e-3'],
    [0.00999, '9.99e-3'],
    [0.01, '0.01'],
    [0.25, '0.25'],
    [9999, '9999'],
    [1e4, '1e+4'],
    [1e20, '1e+20'],
    [0, '0'],
    [Infinity, 'Infinity'],
    [NaN, 'NaN'],
  ])('formatLearningRate(%p) = %p', (lr, text) => {
    expect(formatLearningRate(lr)).toBe(text);
  });
});

describe('cosine schedule', () => {
  test('parses with defaults, over epochs or a time budget, and formats back', () => {
    expect(parseSchedule('cosine:10@3e-3')).toEqual({ kind: 'cosine', lr: 3e-3, epochs: 10, warmup: 0.02, final: 0.05 });
    expect(parseSchedule(' cosine@2e-3,warmup=0.1,final=0 ')).toEqual({ kind: 'cosine', lr: 2e-3, epochs: null, warmup: 0.1, final: 0 });
    expect(formatSchedule(parseSchedule('cosine@2e-3,final=0.1'))).toBe('cosine@2e-3,warmup=0.02,final=0.1');
    expect(totalEpochs(parseSchedule('cosine:7@1e-3'))).toBe(7);
    expect(totalEpochs(parseSchedule('cosine@1e-3'))).toBe(Infinity);
    expect(formatSchedule(parseSchedule('cosine:10@3e-3'))).toBe('cosine:10@3e-3,warmup=0.02,final=0.05');
  });

  test('upper case is accepted, in the name and in the settings', () => {
    expect(parseSchedule('COSINE:10@3E-3,WARMUP=0.1,Final=0.2')).toEqual({ kind: 'cosine', lr: 3e-3, epochs: 10, warmup: 0.1, final: 0.2 });
    expect(parseSchedule('Cosine@1e-3')).toEqual({ kind: 'cosine', lr: 1e-3, epochs: null, warmup: 0.02, final: 0.05 });
  });

  test('final is inclusive at 1 (a warm-up, then lr to the end); warmup 0 starts at lr', () => {
    const flat = parseSchedule('cosine@1e-3,warmup=0,final=1');
    expect(flat).toEqual({ kind: 'cosine', lr: 1e-3, epochs: null, warmup: 0, final: 1 });
    expect([0, 0.5, 1].map((p) => learningRate(flat, 0, 0, p))).toEqual([1e-3, 1e-3, 1e-3]);
  });

  test('a schedule built by hand whose warm-up is the whole run ends at final·lr, never NaN', () => {
    const s = { kind: 'cosine', lr: 2, epochs: null, warmup: 1, final: 0.25 } as const;
    expect(learningRate(s, 0, 0, 0.5)).toBeCloseTo(1, 12);
    expect(learningRate(s, 0, 0, 1)).toBeCloseTo(0.5, 12);
  });

  test('bad settings are named', () => {
    expect(() => parseSchedule('cosine@3e-3,warm=0.1')).toThrow(/unknown setting "warm"; a cosine schedule takes warmup=/);
    expect(() => parseSchedule('cosine@3e-3,warmup=1')).toThrow(/warmup in \[0, 1\)/);
    expect(() => parseSchedule('cosine@3e-3,final=2')).toThrow(/final in \[0, 1\]/);
    expect(() => parseSchedule('cosine:0@3e-3')).toThrow(/epochs ≥ 1/);
    expect(() => parseSchedule('cosine@0')).toThrow(/lr > 0/);
  });

  test('linear warm-up from 1% of lr, then one cosine from lr down to final·lr', () => {
    const s = parseSchedule('cosine@1,warmup=0.1,final=0.2');
    expect(learningRate(s, 0, 0, 0)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 0, 0, 0.05)).toBeCloseTo(0.5, 12);
    expect(learningRate(s, 0, 0, 0.1)).toBeCloseTo(1, 12);
    // Half-way through the cosine part: final + (1 − final)/2.
    expect(learningRate(s, 0, 0, 0.55)).toBeCloseTo(0.6, 12);
    expect(learningRate(s, 0, 0, 1)).toBeCloseTo(0.2, 12);
    expect(learningRate(s, 0, 0, 1.5)).toBeCloseTo(0.2, 12); // past the budget: stays at the end
    // Over epochs the position is (epoch + fraction) / epochs.
    const e = parseSchedule('cosine:4@1,warmup=0,final=0');
    expect(learningRate(e, 2, 0, 0.9)).toBeCloseTo(0.5, 12);
    expect(learningRate(e, 1, 0.5, undefined)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.375)), 12);
    expect(() => learningRate(s, 0, 0)).toThrow(/runs over a time budget/);
  });
});
