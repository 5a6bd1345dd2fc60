import { describe, expect, it } from 'vitest';
import { CaptureClock } from '../../../src/voice/echo/capture-clock.js';

describe('CaptureClock', () => {
  it('lays frames end to end whatever their arrival jitter', () => {
    const c = new CaptureClock(1000); // 1 sample per ms
    const arrivals = [20, 41, 59, 95, 100, 121];
    expect(arrivals.map((t) => c.place(20, t))).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('moves forward when frames were lost on the way (every frame of a whole second late)', () => {
    const c = new CaptureClock(1000);
    const at: number[] = [];
    // 20 ms frames, but 100 ms of them never arrived after the first.
    at.push(c.place(20, 20));
    for (let t = 140; t <= 2200; t += 20) at.push(c.place(20, t));
    expect(at[1]).toBe(20); // a late frame alone is only jitter
    expect(at.at(-1)).toBe(2180); // a second of it: samples were lost
  });

  it('moves back when frames arrive before their slot (anchored on a late first frame)', () => {
    const c = new CaptureClock(1000);
    const at: number[] = [];
    // The first three frames came together, 40 ms late (session set-up); then on time.
    for (const t of [60, 60, 60]) at.push(c.place(20, t));
    for (let t = 80; t <= 1200; t += 20) at.push(c.place(20, t));
    expect(at[3]).toBe(100); // captured in [60, 80), slotted 40 ms ahead: its reference is not there yet
    // After a second, a frame is placed where it was captured, never after it arrived.
    expect(at.at(-1)).toBe(1180);
  });

  it('re-anchors at once when frames come well before their slot (a sender faster than real time)', () => {
    const c = new CaptureClock(1000);
    c.place(20, 1000);
    expect(c.place(20, 1000)).toBe(1000); // at most 200 ms early is tolerated...
    for (let i = 0; i < 9; i++) c.place(20, 1000);
    expect(c.place(20, 1000)).toBe(980); // ...then the clock wins
  });
});
