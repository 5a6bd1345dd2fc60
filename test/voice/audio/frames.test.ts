import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import {
  cloneAudioFrame,
  createAudioFrame,
  createSilentFrame,
  frameDurationMs,
  splitIntoFrames,
} from '../../../src/voice/audio/frames.js';

describe('frame helpers', () => {
  it('creates, measures and clones frames', () => {
    const f = createAudioFrame(new Int16Array(640), 16000, { channels: 2, timestampMs: 40 });
    expect(frameDurationMs(f)).toBe(20);
    const c = cloneAudioFrame(f);
    c.data[0] = 5;
    expect(f.data[0]).toBe(0);
    expect(c.timestampMs).toBe(40);
    expect(createSilentFrame(8000, 30).data.length).toBe(240);
  });

  it('rejects inconsistent frames', () => {
    expect(() => createAudioFrame(new Int16Array(3), 16000, { channels: 2 })).toThrow(ValidationError);
    expect(() => createAudioFrame(new Int16Array(2), 0)).toThrow(ValidationError);
  });

  it('splits a signal into timestamped frames', () => {
    const parts = splitIntoFrames(new Int16Array(1000), 16000, 20);
    expect(parts.map((p) => p.data.length)).toEqual([320, 320, 320, 40]);
    expect(parts[2].timestampMs).toBe(40);
  });
});
