import { describe, expect, it } from 'vitest';
import type { GCProfilerResult } from 'node:v8';
import { scavengeFigures, scavengeRecorder } from '../../bench/scavenge-figures.js';

/** One GC's statistics with the given used bytes per space, before and after. */
function gc(gcType: string, before: Record<string, number>, after: Record<string, number>) {
  const spaces = (used: Record<string, number>) =>
    Object.entries(used).map(([spaceName, spaceUsedSize]) => ({
      spaceName,
      spaceUsedSize,
      spaceSize: 0,
      spaceAvailableSize: 0,
      physicalSpaceSize: 0,
    }));
  return {
    gcType,
    cost: 0,
    beforeGC: { heapStatistics: {} as never, heapSpaceStatistics: spaces(before) },
    afterGC: { heapStatistics: {} as never, heapSpaceStatistics: spaces(after) },
  };
}
const profile = (statistics: ReturnType<typeof gc>[]): GCProfilerResult => ({
  version: 1,
  startTime: 0,
  endTime: 1,
  statistics,
});

describe("a step's scavenges", () => {
  it('takes the median growth of the old generation and what stayed young, scavenges only', () => {
    const KB = 1024;
    const figures = scavengeFigures(
      profile([
        gc(
          'Scavenge',
          { old_space: 100 * KB, new_space: 900 * KB },
          { old_space: 110 * KB, new_space: 30 * KB },
        ),
        gc(
          'Scavenge',
          { old_space: 110 * KB, large_object_space: 0, new_space: 950 * KB },
          {
            old_space: 150 * KB,
            large_object_space: 20 * KB,
            new_space: 50 * KB,
            new_large_object_space: 8 * KB,
          },
        ),
        gc(
          'Scavenge',
          { old_space: 170 * KB, new_space: 800 * KB },
          { old_space: 200 * KB, new_space: 40 * KB },
        ),
        // A mark-compact shrinks the old generation: not a scavenge, not counted.
        gc('MarkSweepCompact', { old_space: 200 * KB }, { old_space: 20 * KB }),
      ]),
    );
    expect(figures).toEqual({ promotedKB: 30, survivedKB: 40 });
    expect(scavengeFigures(profile([gc('MarkSweepCompact', {}, {})]))).toBeUndefined();
  });

  it("reads V8's own figures: objects kept alive are promoted, garbage is not", () => {
    const recorder = scavengeRecorder();
    // Garbage only: each object dies when the next takes its slot (the slot makes it escape,
    // so the JIT cannot leave the allocation out).
    const slot: unknown[] = [undefined];
    for (let i = 0; i < 400_000; i++) slot[0] = [i, i + 1, { i }];
    const garbage = recorder.read();
    // The same allocation, every object kept: whatever a scavenge finds alive twice moves old.
    const kept: unknown[] = [];
    for (let i = 0; i < 400_000; i++) kept.push([i, i + 1, { i }]);
    const retained = recorder.read();
    expect(slot[0]).toBeDefined();
    expect(kept).toHaveLength(400_000);
    expect(garbage).toBeDefined();
    expect(retained).toBeDefined();
    expect(garbage!.promotedKB).toBeLessThan(100);
    expect(retained!.promotedKB).toBeGreaterThan(500);
  });
});
