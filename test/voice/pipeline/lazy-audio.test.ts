/**
 * Lazily read `audio` on voice events (SPEECH_END from the segmenter, speechEnd from the
 * pipeline): read from its source only when read, seen as a plain value by spreads and
 * equality, and cheap to keep for a turn: one getter for every event instead of one each.
 */
import { describe, expect, it } from 'vitest';
import { defineLazyAudio, hasLazyAudio } from '../../../src/voice/pipeline/lazy-audio.js';
import { fullGc } from '../../helpers/full-gc.js';

const samples = new Int16Array([1, 2, 3]);

/** A source that counts its reads. */
function countingSource() {
  const source = {
    reads: 0,
    get audio() {
      source.reads++;
      return samples;
    },
  };
  return source;
}

/** Heap bytes per object kept, for `count` objects made by `make`. */
function bytesPerKept(make: (i: number) => object, count = 20_000): number {
  const kept: object[] = new Array(count);
  fullGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) kept[i] = make(i);
  fullGc();
  // Read after the GC, `kept.length` keeps the objects alive through it.
  return (process.memoryUsage().heapUsed - before) / kept.length;
}

describe('defineLazyAudio', () => {
  it('reads the source only when audio is read, every time it is read', () => {
    const source = countingSource();
    const event = defineLazyAudio({ sessionId: 's', durationMs: 20 }, source);
    expect(source.reads).toBe(0);
    expect(hasLazyAudio(event)).toBe(true);
    expect(hasLazyAudio({ audio: samples })).toBe(false);
    expect(event.audio).toBe(samples);
    expect(source.reads).toBe(1);
  });

  it('is an own, enumerable value to spreads, keys and equality; the source stays hidden', () => {
    const event = defineLazyAudio({ sessionId: 's', durationMs: 20 }, countingSource());
    expect(Object.keys(event).sort()).toEqual(['audio', 'durationMs', 'sessionId']);
    expect({ ...event }).toEqual({ sessionId: 's', durationMs: 20, audio: samples });
    expect(event).toEqual({ sessionId: 's', durationMs: 20, audio: samples });
    expect(Object.getOwnPropertySymbols({ ...event })).toEqual([]);
  });

  it('costs far less to keep than a getter written per event', () => {
    const source = countingSource();
    const literal = bytesPerKept((i) => ({
      sessionId: 's',
      get audio() {
        return source.audio;
      },
      durationMs: i,
      ...(i % 2 ? { silenceMs: 300 } : {}),
    }));
    const shared = bytesPerKept((i) => {
      const event: { sessionId: string; durationMs: number; silenceMs?: number } = {
        sessionId: 's',
        durationMs: i,
      };
      if (i % 2) event.silenceMs = 300;
      return defineLazyAudio(event, source);
    });
    expect(shared).toBeLessThan(literal * 0.6);
  });
});
