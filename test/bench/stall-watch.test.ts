import { describe, expect, it } from 'vitest';
import { stallWatch } from '../../bench/stall-watch.js';

/** The bench's stall watch, in this process: a loop blocked on purpose is one stall, of our work. */
describe('stall watch', () => {
  it('counts a blocked loop as one stall of work, and forgets it on reset', async () => {
    const watch = stallWatch();
    const tick = () => new Promise((r) => setTimeout(r, 30));
    await tick();
    watch.reset();
    await tick();
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // the loop is blocked: no timer can fire
    }
    await tick();
    const stalls = watch.list();
    const long = stalls.filter((s) => s.end - s.start >= 55);
    expect(long).toHaveLength(1);
    expect(long[0]!.endUs - long[0]!.startUs).toBeGreaterThanOrEqual(55_000);
    // The thread ran through it (a loaded machine may also make it wait for a core).
    expect(long[0]!.runMs + long[0]!.waitMs).toBeGreaterThanOrEqual(50);
    expect(watch.report()).toMatch(/^stalls of 20 ms or more: \d+ in [\d.]+ s, \d+ ms; GC pauses in them/);
    watch.reset();
    expect(watch.list()).toHaveLength(0);
    watch.stop();
  });
});
