// A jest reporter that records each package's totals in test-results/<package>.json, so that
// tools/test-summary.mjs can print one closing line for the whole workspace after `nx run-many`.
const fs = require('node:fs');
const path = require('node:path');

class TotalsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    const dir = path.join(__dirname, '..', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const name = path.basename(this.rootDir);
    const totals = {
      package: name,
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(totals) + '\n');
    fs.renameSync(`${file}.tmp`, file);
  }
}
module.exports = TotalsReporter;
