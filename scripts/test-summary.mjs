// Prints the test run's closing line ("tests: N passed, N failed, N skipped") from vitest's JSON report.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? '.ci/vitest-report.json', 'utf8'));
const failedFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !f.assertionResults?.length,
).length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (failedFiles) console.log(`${failedFiles} test file(s) failed before running any test`);
console.log(
  `tests: ${report.numPassedTests ?? 0} passed, ${(report.numFailedTests ?? 0) + failedFiles} failed, ${skipped} skipped`,
);
