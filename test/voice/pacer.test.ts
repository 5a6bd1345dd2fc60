import { describe, expect, it } from 'vitest';
import { ManualClock, OutboundPacer, type OutboundPacerOptions } from '../../src/voice/pacer.js';
import type { AudioFrame } from '../../src/voice/types.js';

/** A pacer on a hand-driven clock that records each frame with the clock time it was sent. */
function setup(opts: Partial<OutboundPacerOptions> = {}) {
  const clock = new ManualClock(1000);
  const sent: { at: number; frame: AudioFrame }[] = [];
  const played: { at: number; frame: AudioFrame }[] = [];
  const pacer = new OutboundPacer({
    sampleRate: 16000,
    clock,
    send: (frame) => sent.push({ at: clock.now(), frame }),
    onPlayed: (frame) => played.push({ at: clock.now(), frame }),
    ...opts,
  });
  return { clock, pacer, sent, played };
}

/** Samples counting up from `start`, so order and exactness are checkable. */
function ramp(n: number, start = 0): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) % 32768;
  return out;
}

function concat(frames: { frame: AudioFrame }[]): Int16Array {
  const total = frames.reduce((n, f) => n + f.frame.data.length, 0);
  const out = new Int16Array(total);
  let at = 0;
  for (const { frame } of frames) {
    out.set(frame.data, at);
    at += frame.data.length;
  }
  return out;
}

describe('OutboundPacer', () => {
  it('slices arbitrary chunk sizes into exact 20 ms frames, in order, bytes intact', () => {
    const { clock, pacer, sent } = setup();
    const input = ramp(16000); // 1 s
    // Odd chunk sizes that straddle frame boundaries.
    for (let i = 0, size = 7; i < input.length; i += size, size = (size * 3) % 997 || 13) {
      pacer.push(input.subarray(i, Math.min(input.length, i + size)));
    }
    pacer.end();
    clock.advance(2000);
    expect(sent).toHaveLength(50);
    for (const { frame } of sent) {
      expect(frame.data.length).toBe(320);
      expect(frame.sampleRate).toBe(16000);
      expect(frame.channels).toBe(1);
    }
    expect(concat(sent)).toEqual(input);
    expect(sent.map((s) => s.frame.timestampMs)).toEqual(sent.map((_, i) => i * 20));
  });

  it('honours frameMs and sends a short last frame on end()', () => {
    const { clock, pacer, sent } = setup({ sampleRate: 8000, frameMs: 10 });
    pacer.push(ramp(8000 / 10 + 30)); // 100 ms + 30 samples
    pacer.end();
    clock.advance(500);
    expect(sent.map((s) => s.frame.data.length)).toEqual([...Array(10).fill(80), 30]);
  });

  it('copies pushed samples, so callers may reuse their buffer', () => {
    const { clock, pacer, sent } = setup();
    const buffer = ramp(640);
    pacer.push(buffer);
    buffer.fill(0);
    pacer.end();
    clock.advance(100);
    expect(concat(sent)).toEqual(ramp(640));
  });

  it('never runs more than the lead ahead of the playback clock, and keeps real time', () => {
    const { clock, pacer, sent } = setup({ leadMs: 60 });
    const start = clock.now();
    pacer.push(ramp(16000 * 2)); // 2 s queued at once
    // At once: exactly the lead (3 frames), not the whole queue.
    expect(sent).toHaveLength(3);
    for (let step = 0; step < 250; step++) {
      clock.advance(7); // timer granularity unrelated to the frame size
      const ahead = sent.length * 20 - (clock.now() - start);
      expect(ahead).toBeLessThanOrEqual(60 + 1e-6);
      expect(ahead).toBeGreaterThanOrEqual(0);
    }
    // Frame n is sent when playback reaches (n - 3) * 20 ms, i.e. at real time minus the lead.
    sent.forEach((s, n) => {
      expect(s.at - start).toBeCloseTo(Math.max(0, (n - 2) * 20), 6);
    });
  });

  it('with batchMs, tops the lead up a batch at a time: the listener holds lead - batch .. lead', () => {
    // onPlayed wakes the pacer every frame; those wake-ups must not break the batches.
    const { clock, pacer, sent, played } = setup({ leadMs: 100, batchMs: 60 });
    const start = clock.now();
    pacer.push(ramp(16000 * 2));
    pacer.end();
    expect(sent).toHaveLength(5); // the whole lead at once
    for (let step = 0; step < 450; step++) {
      clock.advance(5);
      const ahead = Math.min(2000, sent.length * 20) - Math.min(2000, clock.now() - start);
      if (sent.length < 100) expect(ahead).toBeGreaterThanOrEqual(40 - 1e-6);
      expect(ahead).toBeLessThanOrEqual(100 + 1e-6);
    }
    expect(sent).toHaveLength(100);
    expect(played).toHaveLength(100);
    // After the first lead, frames leave three at a time, every 60 ms.
    const times = [...new Set(sent.slice(5).map((s) => s.at - start))];
    expect(times.slice(0, 4)).toEqual([60, 120, 180, 240]);
    for (const t of times.slice(0, -1)) expect(sent.filter((s) => s.at - start === t)).toHaveLength(3);
    expect(concat(sent)).toEqual(ramp(32000));
  });

  it('rejects a batch shorter than a frame or longer than the lead', () => {
    expect(() => setup({ leadMs: 60, batchMs: 10 })).toThrow(/batch/);
    expect(() => setup({ leadMs: 60, batchMs: 80 })).toThrow(/batch/);
  });

  it('keeps at most one timer pending', () => {
    const { clock, pacer } = setup();
    for (let i = 0; i < 20; i++) pacer.push(ramp(500));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(95);
    expect(clock.pendingTimers).toBe(1);
  });

  it('after a late timer catches up without sending more than the lead at once', () => {
    const { clock, pacer, sent } = setup({ leadMs: 60 });
    pacer.push(ramp(16000));
    expect(sent).toHaveLength(3);
    // The event loop stalls for 500 ms: the listener underran. Fire only what was due.
    clock.stall(500);
    const stalled = clock.now();
    clock.advance(0); // now the overdue timer fires once
    const burst = sent.filter((s) => s.at === stalled);
    expect(burst).toHaveLength(3);
    // Playback restarted at the stall: position = what was sent minus what is still buffered.
    expect(pacer.playedMs).toBeCloseTo(60, 6);
    expect(pacer.sentMs).toBeCloseTo(120, 6);
  });

  it('interrupt drops the queue at once and reports the playback clock, not what was queued', () => {
    const { clock, pacer, sent } = setup({ leadMs: 60 });
    pacer.push(ramp(16000)); // 1 s
    clock.advance(250);
    const sentBefore = sent.length;
    const pos = pacer.interrupt();
    expect(pos.playedMs).toBeCloseTo(250, 6);
    expect(pos.sentMs).toBeCloseTo(sentBefore * 20, 6);
    expect(pos.sentMs - pos.playedMs).toBeLessThanOrEqual(60 + 1e-6);
    expect(pacer.queuedMs).toBe(0);
    expect(pacer.isPlaying).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(2000);
    expect(sent).toHaveLength(sentBefore);
    // The playback position is frozen where the listener stopped.
    expect(pacer.playedMs).toBeCloseTo(250, 6);
  });

  it('ignores pushes after interrupt until reset(), then starts a fresh response', async () => {
    const { clock, pacer, sent } = setup();
    pacer.push(ramp(3200));
    clock.advance(40);
    pacer.interrupt();
    const count = sent.length;
    expect(pacer.push(ramp(3200))).toBe(false);
    clock.advance(500);
    expect(sent).toHaveLength(count);

    pacer.reset();
    expect(pacer.state).toBe('idle');
    expect(pacer.sentMs).toBe(0);
    expect(pacer.playedMs).toBe(0);
    expect(pacer.push(ramp(640, 5))).toBe(true);
    pacer.end();
    clock.advance(100);
    expect(sent).toHaveLength(count + 2);
    expect(sent[count].frame.data[0]).toBe(5);
    expect(sent[count].frame.timestampMs).toBe(0);
    await expect(pacer.drained).resolves.toEqual({ playedMs: 40, sentMs: 40, interrupted: false });
  });

  it('interrupt before any audio still drops the late audio of that response', () => {
    const { clock, pacer, sent } = setup();
    expect(pacer.interrupt()).toEqual({ playedMs: 0, sentMs: 0 });
    expect(pacer.push(ramp(640))).toBe(false);
    clock.advance(100);
    expect(sent).toHaveLength(0);
  });

  it('drained resolves only once the last frame was sent and played', async () => {
    const { clock, pacer, sent } = setup();
    let result: unknown;
    void pacer.drained.then((r) => {
      result = r;
    });
    pacer.push(ramp(1600)); // 100 ms
    pacer.end();
    const start = clock.now();
    clock.advance(40); // all 5 frames sent (lead 60), not all played
    await Promise.resolve();
    expect(sent).toHaveLength(5);
    expect(result).toBeUndefined();
    expect(pacer.isPlaying).toBe(true);
    clock.advance(100 - (clock.now() - start) - 1);
    await Promise.resolve();
    expect(result).toBeUndefined();
    clock.advance(1);
    await Promise.resolve();
    expect(result).toEqual({ playedMs: 100, sentMs: 100, interrupted: false });
    expect(pacer.state).toBe('drained');
    expect(pacer.isPlaying).toBe(false);
    expect(pacer.push(ramp(10))).toBe(false);
  });

  it('drained resolves as interrupted when interrupted mid-way', async () => {
    const { clock, pacer } = setup();
    pacer.push(ramp(16000));
    pacer.end();
    clock.advance(100);
    pacer.interrupt();
    await expect(pacer.drained).resolves.toEqual({ playedMs: 100, sentMs: 160, interrupted: true });
  });

  it('end() with nothing pushed drains at once', async () => {
    const { pacer } = setup();
    pacer.end();
    await expect(pacer.drained).resolves.toEqual({ playedMs: 0, sentMs: 0, interrupted: false });
  });

  it('a starving producer leaves a gap: playback resumes on arrival and the clock does not count the gap', () => {
    const { clock, pacer, sent } = setup();
    pacer.push(ramp(640)); // 40 ms
    clock.advance(200);
    expect(pacer.playedMs).toBeCloseTo(40, 6);
    expect(pacer.isPlaying).toBe(false);
    expect(clock.pendingTimers).toBe(0); // starving: no timer spins
    pacer.push(ramp(320));
    expect(sent).toHaveLength(3);
    expect(sent[2].at).toBe(clock.now());
    clock.advance(10);
    expect(pacer.playedMs).toBeCloseTo(50, 6);
  });

  it('fires onPlayed as each frame starts playing, in order', () => {
    const { clock, pacer, played } = setup();
    const start = clock.now();
    pacer.push(ramp(1600));
    pacer.end();
    clock.advance(200);
    expect(played.map((p) => p.at - start)).toEqual([0, 20, 40, 60, 80]);
    expect(played.map((p) => p.frame.timestampMs)).toEqual([0, 20, 40, 60, 80]);
  });

  it('tells onPlayed how late its timer ran, so a listener can place the frame where it played', () => {
    // A clock whose timers run only when the test says, however late.
    let now = 0;
    const timers: { due: number; fn: () => void }[] = [];
    const clock = {
      now: () => now,
      setTimer: (fn: () => void, ms: number) => {
        const t = { due: now + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimer: (t: unknown) => {
        const i = timers.indexOf(t as { due: number; fn: () => void });
        if (i >= 0) timers.splice(i, 1);
      },
    };
    const played: { at: number; lateMs: number }[] = [];
    const pacer = new OutboundPacer({
      sampleRate: 16000,
      leadMs: 60,
      clock,
      send: () => {},
      onPlayed: (_frame, lateMs) => played.push({ at: now, lateMs }),
    });
    pacer.push(ramp(320 * 3));
    const runTimersAt = (t: number) => {
      now = t;
      for (const timer of timers.splice(0)) timer.fn();
    };
    runTimersAt(27); // frames start at 0, 20, 40: two are due, 27 and 7 ms late
    runTimersAt(40);
    expect(played).toEqual([
      { at: 0, lateMs: 0 },
      { at: 27, lateMs: 7 },
      { at: 40, lateMs: 0 },
    ]);
  });

  it('catchUp does at once what an overdue wake-up would, and nothing when none is due', () => {
    const { clock, pacer, sent, played } = setup({ leadMs: 100 });
    pacer.push(ramp(16000)); // 1 s
    clock.advance(30);
    expect(played.map((p) => p.at)).toEqual([1000, 1020]);
    const sentBefore = sent.length;
    pacer.catchUp(); // nothing due: no report, no send
    expect(played).toHaveLength(2);
    expect(sent).toHaveLength(sentBefore);
    // The loop stalls 150 ms, longer than the lead: its timer has not run when the stall
    // ends, and catchUp reports every frame that started playing meanwhile, at once...
    clock.stall(150);
    pacer.catchUp();
    expect(played.map((p) => p.frame.timestampMs)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(played.slice(2).every((p) => p.at === 1180)).toBe(true);
    // ...the listener underran at 1120, so the next frame starts now...
    expect(pacer.playedMs).toBeCloseTo(120, 6);
    // ...and it sends what it owes, up to the lead past now.
    expect(sent.at(-1)).toMatchObject({ at: 1180, frame: { timestampMs: 200 } });
    // The wake-up it replaced does not report them twice.
    clock.advance(0);
    expect(played).toHaveLength(7);
    expect(concat(played)).toEqual(concat(sent).subarray(0, 7 * 320));
  });

  it('a throwing send interrupts the response and reports the error', () => {
    const errors: unknown[] = [];
    const clock = new ManualClock();
    const pacer = new OutboundPacer({
      sampleRate: 16000,
      clock,
      send: () => {
        throw new Error('socket gone');
      },
      onError: (e) => errors.push(e),
    });
    pacer.push(ramp(3200));
    expect(errors).toHaveLength(1);
    expect(pacer.state).toBe('interrupted');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a frame that holds no samples', () => {
    expect(() => new OutboundPacer({ sampleRate: 8000, frameMs: 0.01, send: () => {} })).toThrow(/positive/);
  });
});
