// Prints the workspace's closing test line ("N passed, N failed, N skipped") from the totals the
// jest reporter wrote for each package in this run; exits non-zero if a package is missing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'test-results');
// Every package, the workspace scripts' own tests (tools/), and the consumer test (tools/consumer:
// the packages packed, installed and used outside the workspace).
const expected = [...readdirSync(join(dir, '..', 'packages')), 'tools', 'consumer'];
const totals = { passed: 0, failed: 0, skipped: 0 };
const missing = [];
for (const pkg of expected) {
  let t;
  try {
    t = JSON.parse(readFileSync(join(dir, `${pkg}.json`), 'utf8'));
  } catch {
    missing.push(pkg);
    continue;
  }
  console.log(`${pkg}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  for (const k of Object.keys(totals)) totals[k] += t[k];
}
if (missing.length > 0) {
  console.error(`no test results from: ${missing.join(', ')}`);
  process.exitCode = 1;
}
if (totals.failed > 0) process.exitCode = 1;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
