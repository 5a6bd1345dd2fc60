/**
 * The test run's watchdog (test/helpers/watchdog-reporter.ts), run as CI runs it: a vitest run
 * whose worker is stuck in a loop no test timeout can interrupt ends at the run limit, names
 * the stuck file, and leaves no worker behind.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const CONFIG = fileURLToPath(new URL('./fixtures/watchdog/vitest.config.ts', import.meta.url));

/** Processes whose environment holds `entry` (a worker inherits its run's environment). */
const processesWith = (entry: string) =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
      } catch {
        return false;
      }
    });

it('ends a run whose worker never yields, names the file, and kills the worker', async () => {
  const marker = `ROOMKIT_WATCHDOG_RUN=${process.pid}-${Date.now()}`;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [VITEST, 'run', '--config', CONFIG],
      {
        env: {
          ...process.env,
          CI: '',
          ROOMKIT_TEST_STALL_S: '2',
          ROOMKIT_TEST_RUN_LIMIT_S: '6',
          ROOMKIT_WATCHDOG_RUN: marker.split('=')[1],
        },
        timeout: 60_000,
      },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/watchdog: \S*spin\.fixture\.ts has run \d+ s/);
  expect(result.stderr).toContain('watchdog: the test run passed its limit of 6 s; still running:');
  // Nothing of that run is left: the stuck worker would spin on for two minutes.
  expect(processesWith(marker)).toEqual([]);
}, 70_000);
