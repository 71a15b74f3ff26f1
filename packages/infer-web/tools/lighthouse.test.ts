import { readRun, readSettings } from './lighthouse.js';

/** A Lighthouse result (LHR) with only the fields read, shaped as Lighthouse 12 writes them. */
function lhr(categories: Record<string, number | null>) {
  const audit = (title: string, score: number | null, scoreDisplayMode = 'numeric', numericValue?: number) => ({ title, score, scoreDisplayMode, numericValue });
  return {
    lighthouseVersion: '12.2.3',
    environment: { hostUserAgent: 'HeadlessChrome/156', benchmarkIndex: 1510.5 },
    configSettings: {
      formFactor: 'mobile',
      throttlingMethod: 'simulate',
      throttling: { rttMs: 150, throughputKbps: 1638.4, cpuSlowdownMultiplier: 4 },
      screenEmulation: { width: 412, height: 823, deviceScaleFactor: 1.75, mobile: true },
    },
    categories: {
      performance: { score: categories.performance, auditRefs: [{ id: 'total-blocking-time', weight: 30 }, { id: 'cumulative-layout-shift', weight: 25 }, { id: 'bootup-time', weight: 0 }, { id: 'first-contentful-paint', weight: 10 }] },
      accessibility: { score: categories.accessibility, auditRefs: [{ id: 'color-contrast', weight: 7 }, { id: 'video-caption', weight: 10 }] },
      'best-practices': { score: categories['best-practices'], auditRefs: [{ id: 'deprecations', weight: 5 }] },
    },
    audits: {
      'first-contentful-paint': audit('First Contentful Paint', 1, 'numeric', 1065.8),
      'largest-contentful-paint': audit('Largest Contentful Paint', 1, 'numeric', 1100),
      'total-blocking-time': { ...audit('Total Blocking Time', 0.04, 'numeric', 4530), displayValue: '4,530 ms' },
      'cumulative-layout-shift': audit('Cumulative Layout Shift', 0.93, 'numeric', 0.086),
      'speed-index': audit('Speed Index', 0.99, 'numeric', 1870.9),
      // Weight 0 (a diagnostic) and not applicable (null): neither keeps a score down.
      'bootup-time': audit('Reduce JavaScript execution time', 0),
      'color-contrast': audit('Background and foreground colors have a sufficient contrast ratio', 1, 'binary'),
      'video-caption': audit('<video> elements contain a <track> element', null, 'notApplicable'),
      deprecations: { ...audit('Uses deprecated APIs', 0, 'binary'), displayValue: '1 warning found' },
    },
  };
}

describe('reading a Lighthouse result', () => {
  test('scores out of 100, the five metrics, and the weighted audits that did not pass', () => {
    expect(readRun(lhr({ performance: 0.675, accessibility: 1, 'best-practices': 0.82 }))).toEqual({
      scores: { performance: 68, accessibility: 100, 'best-practices': 82 },
      metrics: {
        'first-contentful-paint': 1065.8,
        'largest-contentful-paint': 1100,
        'total-blocking-time': 4530,
        'cumulative-layout-shift': 0.086,
        'speed-index': 1870.9,
      },
      benchmarkIndex: 1510.5,
      failing: [
        { category: 'performance', id: 'total-blocking-time', title: 'Total Blocking Time', score: 0.04, weight: 30, displayValue: '4,530 ms' },
        { category: 'performance', id: 'cumulative-layout-shift', title: 'Cumulative Layout Shift', score: 0.93, weight: 25, displayValue: undefined },
        { category: 'best-practices', id: 'deprecations', title: 'Uses deprecated APIs', score: 0, weight: 5, displayValue: '1 warning found' },
      ],
    });
  });

  test('a category Lighthouse could not score is an error naming it', () => {
    expect(() => readRun(lhr({ performance: null, accessibility: 1, 'best-practices': 1 }))).toThrow('the Lighthouse result has no performance score');
  });

  test('the settings: form factor, throttling and screen as Lighthouse applied them', () => {
    expect(readSettings(lhr({ performance: 1, accessibility: 1, 'best-practices': 1 }))).toEqual({
      lighthouse: '12.2.3',
      userAgent: 'HeadlessChrome/156',
      formFactor: 'mobile',
      throttlingMethod: 'simulate',
      rttMs: 150,
      throughputKbps: 1638.4,
      cpuSlowdownMultiplier: 4,
      screen: { width: 412, height: 823, deviceScaleFactor: 1.75 },
    });
  });
});
