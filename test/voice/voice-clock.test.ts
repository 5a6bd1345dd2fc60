import { describe, expect, it } from 'vitest';
import { OutboundPacer } from '../../src/voice/pacer.js';
import { holdUntilTickEnds } from '../../src/voice/held-writes.js';
import { type ClockTask, VoiceClock } from '../../src/voice/voice-clock.js';
import { eventually } from '../helpers/eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const task = (run: () => void): ClockTask => ({ run });

describe('VoiceClock', () => {
  it('runs tasks at their time, earliest first, each once', async () => {
    const clock = new VoiceClock();
    const ran: string[] = [];
    // Taken before the first schedule: c's 30 ms count from then at the earliest.
    const start = performance.now();
    let cAt = 0;
    clock.schedule(
      task(() => {
        ran.push('c');
        cAt = performance.now() - start;
      }),
      30,
    );
    clock.schedule(
      task(() => ran.push('a')),
      5,
    );
    clock.setTimer(() => ran.push('b'), 15);
    await eventually(() => expect(ran).toHaveLength(3));
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(cAt).toBeGreaterThanOrEqual(29);
    expect(clock.pendingTasks).toBe(0);
  });

  it('runs everything due in the same millisecond in one timer callback', async () => {
    const clock = new VoiceClock();
    const seen: boolean[] = [];
    let flag = false;
    // Both due in the same millisecond slot: `schedule` rounds now + delay up, and two calls a
    // few microseconds apart can straddle a millisecond boundary, so aim both at one slot.
    const slot = Math.ceil(performance.now()) + 10;
    const delayTo = (at: number) => at - performance.now() - 0.5;
    // The first task's microtask only runs once the callback that ran both tasks returns.
    clock.schedule(
      task(() => {
        queueMicrotask(() => {
          flag = true;
        });
      }),
      delayTo(slot),
    );
    clock.schedule(
      task(() => seen.push(flag)),
      delayTo(slot),
    );
    await eventually(() => expect(seen).toHaveLength(1));
    expect(seen).toEqual([false]);
    expect(flag).toBe(true);
  });

  it('cancels, and moves a task that is scheduled again', async () => {
    const clock = new VoiceClock();
    const ran: string[] = [];
    let bAt = 0;
    const start = performance.now();
    const a = task(() => ran.push('a'));
    const b = task(() => {
      ran.push('b');
      bAt = performance.now() - start;
    });
    clock.schedule(a, 5);
    clock.schedule(b, 5);
    clock.cancel(a);
    clock.schedule(b, 25); // moved, not doubled
    const handle = clock.setTimer(() => ran.push('timer'), 5);
    clock.clearTimer(handle);
    await eventually(() => expect(ran).toContain('b'));
    // The cancelled ones were due first: had they run, they would be in the list before b.
    expect(ran).toEqual(['b']);
    expect(bAt).toBeGreaterThanOrEqual(24);
    await sleep(20);
    expect(ran).toEqual(['b']);
    expect(clock.pendingTasks).toBe(0);
  });

  it('a task scheduled from inside another runs right after it, not a lap later', async () => {
    const clock = new VoiceClock();
    const times: number[] = [];
    const again = task(() => times.push(performance.now()));
    clock.schedule(
      task(() => {
        times.push(performance.now());
        clock.schedule(again, 0);
      }),
      5,
    );
    await eventually(() => expect(times).toHaveLength(2));
    // A lap of the wheel is 4 s: anything under a second is "right after it".
    expect(times[1] - times[0]).toBeLessThan(1000);
  });

  it('keeps running the others when a task throws, and after being idle', async () => {
    const clock = new VoiceClock();
    const ran: string[] = [];
    clock.schedule(
      task(() => {
        throw new Error('boom');
      }),
      5,
    );
    clock.schedule(
      task(() => ran.push('after')),
      5,
    );
    await eventually(() => expect(ran).toEqual(['after']));
    await sleep(50); // idle
    clock.schedule(
      task(() => ran.push('later')),
      5,
    );
    await eventually(() => expect(ran).toEqual(['after', 'later']));
  });

  it('runs a long slot in budgeted callbacks, letting the loop in between, all in order', async () => {
    const clock = new VoiceClock(2);
    const ran: number[] = [];
    let loopGotIn = -1;
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const slot = Math.ceil(performance.now()) + 10;
    for (let i = 0; i < 100; i++) {
      clock.schedule(
        task(() => {
          // The first task asks for the loop's next check phase: it must come before the last task.
          if (i === 0) setImmediate(() => (loopGotIn = ran.length));
          ran.push(i);
          busy(0.1);
        }),
        slot - performance.now() - 0.5,
      );
    }
    await eventually(() => expect(ran).toHaveLength(100));
    expect(ran).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // 10 ms of tasks in 2 ms runs: the loop got in after the first run, long before the end.
    expect(loopGotIn).toBeGreaterThan(0);
    expect(loopGotIn).toBeLessThan(60);
    expect(clock.pendingTasks).toBe(0);
  });

  it("sends a task's held writes when it returns, and counts them against the budget", async () => {
    const clock = new VoiceClock(2);
    const log: string[] = [];
    let loopGotIn = -1;
    const slot = Math.ceil(performance.now()) + 10;
    for (let i = 0; i < 20; i++) {
      clock.schedule(
        task(() => {
          if (i === 0) setImmediate(() => (loopGotIn = log.filter((l) => l.startsWith('ran')).length));
          log.push(`ran ${i}`);
          // The task itself is quick; its socket writes (0.5 ms each) are what takes time.
          holdUntilTickEnds({
            release: () => {
              log.push(`sent ${i}`);
              const until = performance.now() + 0.5;
              while (performance.now() < until);
            },
          });
        }),
        slot - performance.now() - 0.5,
      );
    }
    await eventually(() => expect(log).toHaveLength(40));
    expect(log.slice(0, 4)).toEqual(['ran 0', 'sent 0', 'ran 1', 'sent 1']);
    // 10 ms of writes in 2 ms runs: held to the end of the callback, all 20 ran first.
    expect(loopGotIn).toBeGreaterThan(0);
    expect(loopGotIn).toBeLessThan(12);
  });
  it('keeps time after a budgeted run: later tasks still run at their time', async () => {
    const clock = new VoiceClock(1);
    const ran: string[] = [];
    for (let i = 0; i < 20; i++)
      clock.schedule(
        task(() => {
          const until = performance.now() + 0.2;
          while (performance.now() < until);
        }),
        2,
      );
    const start = performance.now();
    let lateAt = 0;
    clock.schedule(
      task(() => {
        ran.push('late');
        lateAt = performance.now() - start;
      }),
      30,
    );
    clock.setTimer(() => ran.push('mid'), 15);
    await eventually(() => expect(ran).toHaveLength(2));
    expect(ran).toEqual(['mid', 'late']);
    expect(lateAt).toBeGreaterThanOrEqual(29);
    expect(clock.pendingTasks).toBe(0);
  });

  it('paces a reply at real time with one wake-up per frame for many pacers at once', async () => {
    const clock = new VoiceClock();
    const sent: number[][] = Array.from({ length: 50 }, () => []);
    const pacers = sent.map(
      (times) =>
        new OutboundPacer({ sampleRate: 16000, clock, leadMs: 0, send: () => times.push(performance.now()) }),
    );
    const start = performance.now();
    for (const p of pacers) {
      p.push(new Int16Array(320 * 5)); // 100 ms each
      p.end();
    }
    await Promise.all(pacers.map((p) => p.drained));
    for (const times of sent) {
      expect(times).toHaveLength(5);
      // Frame k leaves about k * 20 ms after the start (never early).
      for (const [k, t] of times.entries()) expect(t - start).toBeGreaterThanOrEqual(k * 20 - 1);
    }
    expect(clock.pendingTasks).toBe(0);
  });

  it('replies that start together send from the clock in budgeted runs, not inside push', async () => {
    const clock = new VoiceClock(2);
    const firstSentAt: number[] = [];
    let sends = 0;
    const pacers = Array.from(
      { length: 200 },
      (_, i) =>
        new OutboundPacer({
          sampleRate: 16000,
          clock,
          leadMs: 100,
          send: () => {
            // A socket write's worth of work.
            const until = performance.now() + 0.02;
            while (performance.now() < until);
            if (firstSentAt[i] === undefined) firstSentAt[i] = sends;
            sends++;
          },
        }),
    );
    for (const p of pacers) p.push(new Int16Array(320 * 10)); // 200 ms each: 5 frames fill the lead
    expect(sends).toBe(0);
    let sendsWhenLoopGotIn = -1;
    setImmediate(() => (sendsWhenLoopGotIn = sends));
    const deadline = performance.now() + 2000;
    while (firstSentAt.filter((x) => x !== undefined).length < 200 && performance.now() < deadline)
      await sleep(5);
    // Every reply started, in the order they were pushed, and the loop ran before the last began.
    expect(firstSentAt.filter((x) => x !== undefined)).toHaveLength(200);
    expect(firstSentAt).toEqual([...firstSentAt].sort((a, b) => a - b));
    expect(sendsWhenLoopGotIn).toBeGreaterThanOrEqual(0);
    expect(sendsWhenLoopGotIn).toBeLessThan(firstSentAt[199]!);
    for (const p of pacers) p.interrupt();
  });
});
