/**
 * What the bench's servers read about their own main thread and its GC, shared by the step
 * figures (voice-server-stats.ts) and the stall watch (stall-watch.ts).
 */
import { readFileSync } from 'node:fs';
import { constants, type PerformanceEntry } from 'node:perf_hooks';

/** The main thread's time on a core and waiting for one, ns (Linux's schedstat; undefined elsewhere). */
export function mainThreadSchedule(): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return { runNs: Number(run), waitNs: Number(wait) };
  } catch {
    return undefined;
  }
}

export type GcKind = 'scavenge' | 'markCompact' | 'incremental' | 'other';

/** The kind of a PerformanceObserver 'gc' entry. */
export function gcKind(entry: PerformanceEntry): GcKind {
  switch ((entry as unknown as { detail?: { kind?: number } }).detail?.kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 'scavenge';
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'markCompact';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    default:
      return 'other';
  }
}
