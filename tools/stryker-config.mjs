// StrykerJS settings shared by every package's `mutate` target (packages/<pkg>/stryker.config.mjs
// names the modules to mutate). Stryker runs from the workspace root, so that its sandbox holds
// the jest preset and the packages that the tests import from source.
import path from 'node:path';

/**
 * @param {string} pkg package folder name, e.g. 'infer-web'
 * @param {string[]} modules files under packages/<pkg>/src to mutate
 * @param {{ tests?: string[] }} [options] tests: the test files (under packages/<pkg>/src) that
 *   judge the mutants, when the package's other tests are integration tests too slow to run once
 *   per mutant
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig(pkg, modules, options = {}) {
  return {
    mutate: modules.map((m) => path.posix.join('packages', pkg, 'src', m)),
    testRunner: 'jest',
    testRunnerNodeArgs: ['--experimental-vm-modules'],
    jest: {
      projectType: 'custom',
      configFile: `packages/${pkg}/jest.config.cjs`,
      // Browser tests run a bundle in Chromium, where no mutant is ever active: they cannot kill
      // one, cost minutes, and some measure bundle sizes that instrumentation inflates.
      config: {
        testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$'],
        ...(options.tests ? { testMatch: options.tests.map((t) => `<rootDir>/src/${t}`) } : {}),
      },
      enableFindRelatedTests: true,
    },
    // Each mutant runs only the tests that cover it.
    coverageAnalysis: 'perTest',
    // The machine has 2 cores shared with other work: one test process at a time.
    concurrency: 1,
    // A mutant that loops for ever (a loop bound mutated) is ended after its tests' own time × 1.5 + 10 s.
    timeoutMS: 10_000,
    reporters: ['clear-text', 'progress', 'json', 'html'],
    jsonReporter: { fileName: `reports/mutation/${pkg}.json` },
    htmlReporter: { fileName: `reports/mutation/${pkg}.html` },
    // Every run reads and rewrites the committed baseline, re-testing only the mutants whose code or
    // covering tests changed since (CI's tools/mutate-changed.mjs relies on it); `-- --force`
    // re-tests every mutant.
    incremental: true,
    incrementalFile: `reports/mutation/${pkg}.incremental.json`,
    // The first (unmutated) run of a package's related tests; train's take minutes on a loaded machine.
    dryRunTimeoutMinutes: 30,
    tempDirName: `.stryker-tmp/${pkg}`,
    ignorePatterns: ['**/dist/**', '**/dist-*/**', '**/.cache/**', 'checkpoints', 'test-results', 'reports', 'triton-repository', 'figures'],
    thresholds: { high: 90, low: 80, break: null },
    cleanTempDir: 'always',
  };
}
