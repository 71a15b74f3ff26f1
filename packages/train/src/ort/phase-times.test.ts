import { addSamples, formatPhaseTimes, PhaseTimes, phaseTimesWanted, type PhaseSamples } from './phase-times.js';

describe('phase times (CHARRNN_PHASE_TIMES)', () => {
  it('is wanted only when the variable is set to something other than 0 or empty', () => {
    expect(phaseTimesWanted({})).toBe(false);
    expect(phaseTimesWanted({ CHARRNN_PHASE_TIMES: '' })).toBe(false);
    expect(phaseTimesWanted({ CHARRNN_PHASE_TIMES: '0' })).toBe(false);
    expect(phaseTimesWanted({ CHARRNN_PHASE_TIMES: '1' })).toBe(true);
  });

  it('records nothing when disabled', () => {
    const times = new PhaseTimes(false);
    times.start();
    times.lap('run');
    expect(times.take()).toEqual({});
  });

  it('adds each lap to its phase, non-negative, and take() empties the totals', () => {
    const times = new PhaseTimes(true);
    times.start();
    times.lap('run');
    times.lap('update');
    times.lap('run');
    const totals = times.take();
    expect(Object.keys(totals).sort()).toEqual(['run', 'update']);
    for (const ms of Object.values(totals)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(times.take()).toEqual({});
  });

  it('formats the mean over all steps and the median of the recorded ones', () => {
    const samples: PhaseSamples = {};
    addSamples(samples, { run: 4, update: 1 });
    addSamples(samples, { run: 2 });
    addSamples(samples, { run: 9, update: 3 });
    expect(samples).toEqual({ run: [4, 2, 9], update: [1, 3] });
    const text = formatPhaseTimes([{ name: 'worker 1', samples }], 3);
    // run: mean 15/3 = 5, median 4; update: mean 4/3, median of [1, 3] taken as the upper middle, 3; total 19/3.
    expect(text).toContain('worker 1: run 5.000 / 4.000, update 1.333 / 3.000; total 6.333');
  });
});
