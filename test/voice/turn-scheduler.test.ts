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

  it("serves a turn's continuation (its reply) before turns not yet begun", async () => {
    // A burst of 10 turns, each asking for a second slot (its reply) once it ran.
    const scheduler = new TurnScheduler(4, 1);
    const order: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scheduler
          .slot()
          .then(() => {
            order.push(`turn${i}`);
            return scheduler.slot(true);
          })
          .then(() => order.push(`reply${i}`)),
      ),
    );
    // One grant per iteration: each reply comes right after its own turn, not after all ten.
    expect(order.slice(0, 4)).toEqual(['turn0', 'reply0', 'turn1', 'reply1']);
    expect(order.indexOf('reply4')).toBeLessThan(order.indexOf('turn6'));
    expect(scheduler.queued).toBe(0);
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
