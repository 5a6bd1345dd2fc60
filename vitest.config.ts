import { defineConfig } from 'vitest/config';
import WatchdogReporter from './test/helpers/watchdog-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: a couple of workers keeps socket-heavy suites from starving each other.
    maxWorkers: 2,
    // Memory tests force a full GC to see what is really retained (set at start-up: flipping
    // V8 flags in a running process is undefined behaviour).
    execArgv: ['--expose-gc'],
    // The watchdog names a test that runs far past its timeout and ends a run that hangs.
    reporters: [
      'default',
      new WatchdogReporter(),
      ...(process.env.CI ? [['json', { outputFile: '.ci/vitest-report.json' }] as const] : []),
    ],
  },
});
