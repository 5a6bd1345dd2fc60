import { describe, expect, it } from 'vitest';
import { OutboundPacer } from '../../src/voice/pacer.js';
import { type ClockTask, VoiceClock } from '../../src/voice/voice-clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const task = (run: () => void): ClockTask => ({ run });

describe('VoiceClock', () => {
  it('runs tasks at their time, earliest first, each once', async () => {
    const clock = new VoiceClock();
    const ran: string[] = [];
    clock.schedule(
      task(() => ran.push('c')),
      30,
    );
    clock.schedule(
      task(() => ran.push('a')),
      5,
    );
    clock.setTimer(() => ran.push('b'), 15);
    const start = performance.now();
    await sleep(60);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(performance.now() - start).toBeGreaterThanOrEqual(30);
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
    await sleep(40);
    expect(seen).toEqual([false]);
    expect(flag).toBe(true);
  });

  it('cancels, and moves a task that is scheduled again', async () => {
    const clock = new VoiceClock();
    const ran: string[] = [];
    const a = task(() => ran.push('a'));
    const b = task(() => ran.push('b'));
    clock.schedule(a, 5);
    clock.schedule(b, 5);
    clock.cancel(a);
    clock.schedule(b, 25); // moved, not doubled
    const handle = clock.setTimer(() => ran.push('timer'), 5);
    clock.clearTimer(handle);
    await sleep(15);
    expect(ran).toEqual([]);
    await sleep(40);
    expect(ran).toEqual(['b']);
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
    await sleep(40);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeLessThan(20);
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
    await sleep(30);
    expect(ran).toEqual(['after']);
    await sleep(50); // idle
    clock.schedule(
      task(() => ran.push('later')),
      5,
    );
    await sleep(30);
    expect(ran).toEqual(['after', 'later']);
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
});
