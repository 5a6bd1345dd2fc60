import { describe, expect, it } from 'vitest';
import { ReferenceTimeline } from '../../../src/voice/echo/reference-timeline.js';

const ramp = (n: number, from = 1) => Int16Array.from({ length: n }, (_, i) => from + i);
const read = (t: ReferenceTimeline, from: number, n: number) => {
  const out = new Int16Array(n);
  t.read(out, from);
  return Array.from(out);
};

describe('ReferenceTimeline', () => {
  it('lays a burst back to back from its first frame, whatever the pace it arrives at', () => {
    const t = new ReferenceTimeline(1000, 1000);
    // Three frames handed over at the same instant (a pacer's lead), then one 2 ms late.
    expect(t.write(ramp(4, 1), 100)).toBe(100);
    expect(t.write(ramp(4, 5), 100)).toBe(104);
    expect(t.write(ramp(4, 9), 100)).toBe(108);
    expect(t.write(ramp(4, 13), 114)).toBe(112);
    expect(read(t, 98, 20)).toEqual([0, 0, ...Array.from(ramp(16)), 0, 0]);
  });

  it('a frame after a pause starts where it is played, with silence before it', () => {
    const t = new ReferenceTimeline(1000, 1000, 40);
    t.write(ramp(4), 0);
    expect(t.write(ramp(2, 50), 100)).toBe(100);
    expect(read(t, 2, 4)).toEqual([3, 4, 0, 0]);
    expect(read(t, 99, 4)).toEqual([0, 50, 51, 0]);
  });

  it('an exact write (a playout model) is not pulled back onto the previous frame after an underrun', () => {
    const t = new ReferenceTimeline(1000, 1000, 40);
    t.write(ramp(4), 0);
    // The next frame arrived 10 ms after the previous one ended and played on arrival.
    expect(t.write(ramp(4, 5), 14, 0.5)).toBe(14);
    // Back to back with it, to float rounding: continues it.
    expect(t.write(ramp(4, 9), 18.0000001, 0.5)).toBe(18);
    // The same gap from a callback's arrival time is taken as jitter and closed.
    const loose = new ReferenceTimeline(1000, 1000, 40);
    loose.write(ramp(4), 0);
    expect(loose.write(ramp(4, 5), 14)).toBe(4);
  });

  it('forgets what is older than its capacity and reads it as silence', () => {
    const t = new ReferenceTimeline(1000, 10); // 10 samples, two 5 ms bins
    t.write(ramp(6), 0);
    t.write(ramp(6, 100), 6);
    expect(read(t, 0, 12)).toEqual([0, 0, 3, 4, 5, 6, 100, 101, 102, 103, 104, 105]);
  });

  it('a barge-in truncates what was queued past it', () => {
    const t = new ReferenceTimeline(1000, 1000);
    t.write(ramp(10), 0);
    t.truncateAt(6);
    expect(read(t, 4, 6)).toEqual([5, 6, 0, 0, 0, 0]);
    // The next reply starts where it is played, not after the dropped audio.
    expect(t.write(ramp(2, 7), 6)).toBe(6);
  });

  it('reports the reference power per window (mean and peak)', () => {
    const t = new ReferenceTimeline(1000, 1000); // 5-sample bins
    const loud = new Int16Array(5).fill(16384); // -6 dBFS
    t.write(new Int16Array(5), 0);
    t.write(loud, 5);
    expect(t.peakPower(0, 10)).toBeCloseTo(0.25, 6);
    expect(t.meanPower(0, 10)).toBeCloseTo(0.125, 6);
    expect(t.meanPower(10, 20)).toBe(0); // not played yet
  });
});
