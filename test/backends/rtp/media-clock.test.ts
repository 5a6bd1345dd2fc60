import { describe, expect, it } from 'vitest';
import { MediaClock } from '../../../src/backends/rtp/index.js';
import { eventually } from '../../conformance/backend.js';

describe('MediaClock (shared media timers)', () => {
  it('fires timers in due order, not before their time, and skips cleared ones', async () => {
    const clock = new MediaClock();
    const fired: [string, number][] = [];
    const t0 = clock.now();
    clock.setTimer(() => fired.push(['b', clock.now() - t0]), 30);
    clock.setTimer(() => fired.push(['a', clock.now() - t0]), 10);
    const c = clock.setTimer(() => fired.push(['c', clock.now() - t0]), 20);
    clock.clearTimer(c);
    await eventually(() => expect(fired.map(([n]) => n)).toEqual(['a', 'b']), 2000);
    expect(fired[0][1]).toBeGreaterThanOrEqual(9.5);
    expect(fired[1][1]).toBeGreaterThanOrEqual(29.5);
    await eventually(() => expect(clock.pending).toBe(0));
  });

  it('runs timers due in the same millisecond together, and one throwing does not stop the rest', async () => {
    const clock = new MediaClock();
    const fired: number[] = [];
    for (let i = 0; i < 200; i++) {
      clock.setTimer(() => {
        if (i === 3) throw new Error('boom');
        fired.push(i);
      }, 15);
    }
    expect(clock.pending).toBe(200);
    await eventually(() => expect(fired).toHaveLength(199), 2000);
  });

  it('timers set from inside a callback are honoured', async () => {
    const clock = new MediaClock();
    let ticks = 0;
    const tick = () => {
      ticks++;
      if (ticks < 5) clock.setTimer(tick, 5);
    };
    clock.setTimer(tick, 5);
    await eventually(() => expect(ticks).toBe(5), 2000);
  });
});
