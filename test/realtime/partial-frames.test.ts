import { describe, expect, it } from 'vitest';
import { RealtimePlayback } from '../../src/realtime/realtime-playback.js';
import { ManualClock } from '../../src/voice/pacer.js';
import type { AudioFrame } from '../../src/voice/types.js';

/** A playback at 16 kHz (20 ms frames = 320 samples, 60 ms lead) on a hand-driven clock. */
function playback() {
  const clock = new ManualClock();
  const sent: AudioFrame[] = [];
  const p = new RealtimePlayback({ sampleRate: 16000, clock, send: (f) => sent.push(f) });
  const lengths = () => sent.map((f) => f.data.length);
  return { clock, sent, p, lengths };
}

describe('realtime playback: audio shorter than a frame does not wait for the response to end', () => {
  it("a piece shorter than one frame, with nothing playing, goes out at once (regression: the seed's 100 samples waited for responseEnd)", () => {
    const { p, lengths } = playback();
    p.push(new Int16Array(100));
    expect(lengths()).toEqual([100]);
  });

  it('a partial tail while audio plays goes out once the producer paused for a frame time', () => {
    const { p, clock, lengths } = playback();
    p.push(new Int16Array(320 * 5 + 100)); // 5 frames and a bit
    expect(lengths()).toEqual([320, 320, 320]); // the 60 ms lead
    clock.advance(21);
    expect(lengths()).toEqual([320, 320, 320, 320]);
    clock.advance(20);
    expect(lengths()).toEqual([320, 320, 320, 320, 320]);
    // Nothing more came: the tail follows as soon as the lead allows, without responseEnd.
    clock.advance(20);
    expect(lengths()).toEqual([320, 320, 320, 320, 320, 100]);
    clock.advance(200);
    expect(lengths()).toEqual([320, 320, 320, 320, 320, 100]);
  });

  it('a producer pausing short of a frame: the partial waits one frame time, then goes', () => {
    const { p, clock, lengths } = playback();
    p.push(new Int16Array(320)); // first frame, out at once
    clock.advance(100); // played; the listener is idle
    p.push(new Int16Array(150));
    expect(lengths()).toEqual([320]);
    clock.advance(19);
    expect(lengths()).toEqual([320]);
    clock.advance(2);
    expect(lengths()).toEqual([320, 150]);
  });

  it('audio that keeps coming is framed as usual: no partial frames mid-stream', () => {
    const { p, clock, lengths } = playback();
    for (let i = 0; i < 20; i++) {
      p.push(new Int16Array(200)); // 12.5 ms pieces, arriving faster than real time
      clock.advance(10);
    }
    p.endResponse();
    clock.advance(1000);
    const all = lengths();
    expect(all.reduce((a, b) => a + b, 0)).toBe(4000);
    // Only the first piece went alone (nothing was playing yet) and the tail at the end.
    expect(all.slice(1, -1).every((n) => n === 320)).toBe(true);
  });

  it('a barge-in still drops the waiting partial frame', () => {
    const { p, clock, lengths } = playback();
    p.push(new Int16Array(320 * 4 + 50));
    p.interrupt();
    clock.advance(500);
    expect(lengths()).toEqual([320, 320, 320]);
  });
});
