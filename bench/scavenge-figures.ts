import { GCProfiler, type GCProfilerResult } from 'node:v8';
import { quantile } from './quantile.js';

/** What a step's scavenges kept: the medians, in KB, of what each promoted and left young. */
export interface ScavengeFigures {
  promotedKB: number;
  survivedKB: number;
}

/** Where a scavenge promotes to, and where what it keeps young lives. */
const OLD_SPACES = new Set(['old_space', 'large_object_space']);
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

type Spaces = GCProfilerResult['statistics'][number]['afterGC']['heapSpaceStatistics'];
const used = (spaces: Spaces, names: Set<string>) =>
  spaces.reduce((sum, s) => (names.has(s.spaceName) ? sum + s.spaceUsedSize : sum), 0);

/**
 * Per scavenge, how much the old generation grew (promoted) and how much stayed young
 * (survived), from V8's heap statistics before and after each one. A scavenge costs what it
 * copies, so these say why one server's scavenges take longer than another's; a dead object
 * in the old generation that still points at young ones (ws's fragments arrays once were)
 * shows as promotion several times the usual. Undefined when the step had no scavenge.
 */
export function scavengeFigures(result: GCProfilerResult): ScavengeFigures | undefined {
  const promoted: number[] = [];
  const survived: number[] = [];
  for (const gc of result.statistics) {
    if (gc.gcType !== 'Scavenge') continue;
    const before = gc.beforeGC.heapSpaceStatistics;
    const after = gc.afterGC.heapSpaceStatistics;
    promoted.push(Math.max(0, used(after, OLD_SPACES) - used(before, OLD_SPACES)));
    survived.push(used(after, YOUNG_SPACES));
  }
  if (promoted.length === 0) return undefined;
  const kb = (bytes: number) => Math.round(bytes / 1024);
  return { promotedKB: kb(quantile(promoted, 0.5)), survivedKB: kb(quantile(survived, 0.5)) };
}

/** A GC profile from now until `read()`, which starts the next one (as `restart()` does). */
export function scavengeRecorder(): { read(): ScavengeFigures | undefined; restart(): void } {
  let profiler: GCProfiler | undefined;
  const restart = () => {
    const ended = profiler?.stop();
    profiler = new GCProfiler();
    profiler.start();
    return ended;
  };
  restart();
  return { restart, read: () => scavengeFigures(restart()!) };
}
