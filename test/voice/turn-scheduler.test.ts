import { describe, expect, it } from 'vitest';
import { TurnScheduler } from '../../src/voice/turn-scheduler.js';

function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

describe('TurnScheduler', () => {
  it('grants a lone turn at once (within a loop iteration)', async () => {
    const scheduler = new TurnScheduler();
    const start = performance.now();
    await scheduler.slot();
    expect(performance.now() - start).toBeLessThan(50);
    expect(scheduler.queued).toBe(0);
  });

  it('grants in order of asking', async () => {
    const scheduler = new TurnScheduler();
    const order: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => scheduler.slot().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('regression: a burst of turns lets a timer due meanwhile run before the burst is over', async () => {
    // 60 turns of 1 ms each with a 4 ms budget: the loop must get to its timers in between.
    const scheduler = new TurnScheduler(4);
    let done = 0;
    let doneWhenTimerRan = -1;
    setTimeout(() => {
      doneWhenTimerRan = done;
    }, 0);
    await Promise.all(
      Array.from({ length: 60 }, () =>
        scheduler.slot().then(() => {
          busy(1);
          done++;
        }),
      ),
    );
    expect(done).toBe(60);
    expect(doneWhenTimerRan).toBeGreaterThanOrEqual(0);
    expect(doneWhenTimerRan).toBeLessThan(30);
  });
});
