/**
 * CPU profiles of chosen windows of a bench (not its set-up or its waits), for
 * `node --cpu-prof`'s whole-process profile drowns a 100 ms burst in seconds of feeding it.
 * `start()`/`stop()` around each window; each window lands in its own file,
 * `<dir>/<name>-<n>.cpuprofile`, readable by Chrome DevTools. A no-op without a directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Sampling interval, us (`ROOMKIT_BENCH_PROFILE_INTERVAL_US`, default 100). A coarser one
 * loads a server near its limit less (at 600 lockstep callers, 100 us tipped ours over).
 */
const INTERVAL_US = Number(process.env.ROOMKIT_BENCH_PROFILE_INTERVAL_US ?? 100);

export function windowProfiler(dir: string | undefined, name: string) {
  if (!dir) return { start: async () => {}, stop: async () => {} };
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  let windows = 0;
  let ready: Promise<unknown> | undefined;
  return {
    async start() {
      ready ??= session
        .post('Profiler.enable')
        .then(() => session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US }));
      await ready;
      await session.post('Profiler.start');
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir, `${name}-${++windows}.cpuprofile`), JSON.stringify(profile));
    },
  };
}
