/**
 * What the polyphase resampler promises, measured on tones: flat passband, no aliasing from
 * above the new Nyquist, no images when upsampling, and streaming that does not depend on
 * how the input is cut.
 */
import { describe, expect, it } from 'vitest';
import { polyphaseRatio } from '../../../src/voice/audio/polyphase/polyphase-resampler.js';
import { Resampler } from '../../../src/voice/audio/resampler.js';
import { seededRandom, sine } from './signals.js';

const AMPLITUDE = 30000;
/** The filter's spec: flat to this fraction of the lower Nyquist, stopband from 1.0 of it. */
const PASSBAND = 0.85; // of the lower Nyquist: 3.4 kHz at 8 kHz, 6.8 kHz at 16 kHz

const PAIRS: [number, number][] = [
  [48000, 16000],
  [48000, 8000],
  [48000, 24000],
  [24000, 16000],
  [24000, 8000],
  [16000, 8000],
  [44100, 22050],
  [8000, 16000],
  [8000, 48000],
  [16000, 24000],
  [16000, 48000],
  [22050, 44100],
];

/** The whole signal through a fresh resampler in 20 ms frames; the filter's start-up dropped. */
function convert(input: Int16Array, from: number, to: number): Int16Array {
  const r = new Resampler({ inputRate: from, outputRate: to });
  const frame = from / 50;
  const out: number[] = [];
  for (let i = 0; i < input.length; i += frame) out.push(...r.process(input.subarray(i, i + frame)));
  r.close();
  return Int16Array.from(out).subarray(Math.round(to / 20));
}

function rms(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / x.length);
}

/** Least-squares fit of a tone at `freq`: its amplitude and the RMS of what is left. */
function fitTone(x: Int16Array, freq: number, rate: number): { amplitude: number; residualRms: number } {
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let xs = 0;
  let xc = 0;
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sin(w * i);
    const c = Math.cos(w * i);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += x[i] * s;
    xc += x[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let residual = 0;
  for (let i = 0; i < x.length; i++) {
    const e = x[i] - a * Math.sin(w * i) - b * Math.cos(w * i);
    residual += e * e;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(residual / x.length) };
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe('polyphase resampler quality', () => {
  it('covers the fixed ratios between the telephony, wideband, TTS and studio rates', () => {
    for (const [from, to] of PAIRS) expect(polyphaseRatio(from, to), `${from} -> ${to}`).toBeDefined();
    expect(polyphaseRatio(44100, 16000)).toBeUndefined();
    expect(polyphaseRatio(16000, 16000)).toBeUndefined();
  });

  it('keeps the passband flat within 0.1 dB and adds nothing else above -80 dB', () => {
    for (const [from, to] of PAIRS) {
      const nyquist = Math.min(from, to) / 2;
      for (const fraction of [0.02, 0.1, 0.3, 0.5, 0.7, 0.8, PASSBAND]) {
        const freq = Math.round(fraction * nyquist);
        const out = convert(sine(freq, from, 500, AMPLITUDE), from, to);
        const fit = fitTone(out, freq, to);
        const where = `${from} -> ${to} at ${freq} Hz`;
        expect(Math.abs(db(fit.amplitude / AMPLITUDE)), `${where}: gain`).toBeLessThan(0.12);
        // Images (upsampling), aliases (downsampling) and rounding all land in the residual.
        expect(db(fit.residualRms / (AMPLITUDE / Math.SQRT2)), `${where}: residual`).toBeLessThan(-80);
      }
    }
  });

  it('lets no tone above the new Nyquist through: aliases stay below -80 dB', () => {
    for (const [from, to] of PAIRS.filter(([f, t]) => t < f)) {
      const newNyquist = to / 2;
      // Just above the new Nyquist, across the stopband, up to the input's Nyquist.
      for (let freq = newNyquist * 1.002; freq < from / 2; freq += (from / 2 - newNyquist) / 23) {
        const out = convert(sine(freq, from, 400, AMPLITUDE), from, to);
        const level = db(rms(out) / (AMPLITUDE / Math.SQRT2));
        expect(level, `${from} -> ${to}: ${Math.round(freq)} Hz`).toBeLessThan(-80);
      }
    }
  });

  it('gives the same output however the stream is cut (block boundaries inside the kernel)', () => {
    const random = seededRandom(3);
    for (const [from, to] of [
      [48000, 16000],
      [8000, 16000],
      [16000, 48000],
      [8000, 48000],
      [24000, 16000],
    ]) {
      const input = Int16Array.from({ length: from }, () => Math.round((random() * 2 - 1) * 20000));
      const whole = new Resampler({ inputRate: from, outputRate: to });
      const expected = whole.process(input).slice();
      const pieces = new Resampler({ inputRate: from, outputRate: to });
      const got: number[] = [];
      for (let i = 0; i < input.length; ) {
        const n = 1 + Math.floor(random() * 2500); // crosses the kernel's 1024-sample blocks
        got.push(...pieces.process(input.subarray(i, i + n)));
        i += n;
      }
      expect(Int16Array.from(got)).toEqual(expected);
      expect(Math.abs(expected.length - to)).toBeLessThanOrEqual(1);
      whole.close();
      pieces.close();
    }
  });

  it('clips to int16 instead of wrapping when the filter overshoots a full-scale square wave', () => {
    // Down (four outputs rounded together), up by two and by three (several positions per
    // pass), and by 2/3 (four windows at once).
    for (const [from, to] of [
      [48000, 16000],
      [8000, 16000],
      [16000, 48000],
      [24000, 16000],
    ]) {
      const half = from / 2000; // a 1 kHz square wave
      const square = Int16Array.from({ length: from / 10 }, (_, i) =>
        Math.floor(i / half) % 2 ? 32767 : -32768,
      );
      const out = convert(square, from, to);
      // The Gibbs overshoot rides above full scale: saturated samples, never a sign flip.
      let wraps = 0;
      for (let i = 1; i < out.length; i++) if (Math.abs(out[i] - out[i - 1]) > 60000) wraps++;
      expect(wraps, `${from} -> ${to}`).toBe(0);
      expect(Math.max(...out), `${from} -> ${to}`).toBe(32767);
      expect(Math.min(...out), `${from} -> ${to}`).toBe(-32768);
    }
  });

  it('rounds and saturates four outputs at once exactly as it does one at a time', () => {
    // Fed a sample or a few at a time, each call completes at most a couple of outputs, which
    // the kernel converts one by one; fed whole, it converts them four at a time.
    // Full-scale noise makes sums that saturate as well as ones that round either way.
    const random = seededRandom(9);
    const input = Int16Array.from({ length: 48000 }, () => Math.round((random() * 2 - 1) * 32767));
    for (const [from, to] of [
      [48000, 16000],
      [8000, 16000],
      [16000, 48000],
      [24000, 16000],
      [16000, 24000],
    ]) {
      const x = input.subarray(0, from);
      const whole = new Resampler({ inputRate: from, outputRate: to }).process(x).slice();
      for (const step of [1, 3, 7]) {
        const r = new Resampler({ inputRate: from, outputRate: to });
        const got: number[] = [];
        for (let i = 0; i < x.length; i += step) got.push(...r.process(x.subarray(i, i + step)));
        expect(Int16Array.from(got), `${from} -> ${to} in steps of ${step}`).toEqual(whole);
      }
    }
  });

  it('starts over clean after reset() and refuses work after close()', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 16000 });
    const tone = sine(1000, 48000, 100, AMPLITUDE);
    const first = r.process(tone).slice();
    r.process(sine(3000, 48000, 50, AMPLITUDE));
    r.reset();
    expect(r.process(tone).slice()).toEqual(first);
    r.close();
    expect(() => r.process(tone)).toThrow(/closed/);
  });
});
