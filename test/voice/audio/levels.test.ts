import { describe, expect, it } from 'vitest';
import { DBFS_FLOOR, dbfsToAmplitude, peakDbfs, rms, rmsDbfs } from '../../../src/voice/audio/levels.js';
import { sine } from './signals.js';

describe('levels', () => {
  it('a full-scale sine is about -3 dBFS RMS and 0 dBFS peak', () => {
    const s = sine(1000, 16000, 100, 32767);
    expect(rmsDbfs(s)).toBeCloseTo(-3.01, 1);
    expect(peakDbfs(s)).toBeCloseTo(0, 1);
  });

  it('a half-scale square wave is -6.02 dBFS both ways', () => {
    const sq = Int16Array.from({ length: 320 }, (_, i) => (i % 20 < 10 ? 16384 : -16384));
    expect(rms(sq)).toBe(16384);
    expect(rmsDbfs(sq)).toBeCloseTo(-6.02, 2);
    expect(peakDbfs(sq)).toBeCloseTo(-6.02, 2);
  });

  it('-12 dBFS converts both ways and silence reads the floor', () => {
    expect(rmsDbfs(Int16Array.from({ length: 100 }, () => Math.round(dbfsToAmplitude(-12))))).toBeCloseTo(
      -12,
      2,
    );
    expect(rmsDbfs(new Int16Array(160))).toBe(DBFS_FLOOR);
    expect(peakDbfs(new Int16Array(0))).toBe(DBFS_FLOOR);
  });
});
