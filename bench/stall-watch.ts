/**
 * What a voice server's long event-loop stalls are made of (bench only, `ROOMKIT_BENCH_STALLS=1`).
 * The loop-delay p99 that fails a step is made of a few stalls a second; this splits them.
 * A 5 ms timer reads the main thread's schedstat on every tick (Linux): an interval of 20 ms or
 * more between two ticks is a stall, and its time is
 *   - the GC's pauses inside it (PerformanceObserver 'gc' entries, by kind),
 *   - the time the thread was runnable but waited for a core (the load client, GC helpers),
 *   - the rest of the time it ran: our work (and the kernel's in our syscalls).
 * Printed on stderr at each step's end.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { type GcKind, gcKind, mainThreadSchedule } from './main-thread.js';

const TICK_MS = 5;
const STALL_MS = 20;

interface Pause {
  start: number;
  end: number;
  kind: GcKind;
}

interface Stall {
  start: number;
  end: number;
  /** The same bounds on the monotonic clock, us (a CPU profile's timestamps). */
  startUs: number;
  endUs: number;
  runMs: number;
  waitMs: number;
}

/** The main thread's run and wait time so far, ms (zeros where schedstat is missing). */
function schedule(): [runMs: number, waitMs: number] {
  const now = mainThreadSchedule();
  return now ? [now.runNs / 1e6, now.waitNs / 1e6] : [0, 0];
}

export function stallWatch(): { reset(): void; report(): string; list(): readonly Stall[]; stop(): void } {
  let pauses: Pause[] = [];
  let stalls: Stall[] = [];
  let since = performance.now();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pauses.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        kind: gcKind(e),
      });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
  let last = performance.now();
  let lastUs = monotonicUs();
  let [lastRun, lastWait] = schedule();
  const timer = setInterval(() => {
    const now = performance.now();
    const nowUs = monotonicUs();
    const [run, wait] = schedule();
    if (now - last >= STALL_MS)
      stalls.push({
        start: last,
        end: now,
        startUs: lastUs,
        endUs: nowUs,
        runMs: run - lastRun,
        waitMs: wait - lastWait,
      });
    [last, lastUs, lastRun, lastWait] = [now, nowUs, run, wait];
  }, TICK_MS).unref();

  return {
    reset() {
      pauses = [];
      stalls = [];
      since = performance.now();
    },
    list: () => stalls,
    stop() {
      clearInterval(timer);
      observer.disconnect();
    },
    report() {
      const seconds = (performance.now() - since) / 1000;
      const gc: Record<GcKind, number> = { scavenge: 0, markCompact: 0, incremental: 0, other: 0 };
      let total = 0;
      let wait = 0;
      let run = 0;
      for (const s of stalls) {
        total += s.end - s.start;
        wait += s.waitMs;
        run += s.runMs;
        for (const p of pauses) {
          const overlap = Math.min(s.end, p.end) - Math.max(s.start, p.start);
          if (overlap > 0) gc[p.kind] += overlap;
        }
      }
      const gcMs = gc.scavenge + gc.markCompact + gc.incremental + gc.other;
      const f = (x: number) => x.toFixed(0);
      return (
        `stalls of ${STALL_MS} ms or more: ${stalls.length} in ${seconds.toFixed(1)} s, ${f(total)} ms; ` +
        `GC pauses in them ${f(gcMs)} ms (scavenge ${f(gc.scavenge)}, mark-compact ${f(gc.markCompact)}, ` +
        `incremental ${f(gc.incremental)}), waiting for a core ${f(wait)} ms, ` +
        `running other work ${f(Math.max(0, run - gcMs))} ms, idle ${f(Math.max(0, total - run - wait))} ms`
      );
    },
  };
}
