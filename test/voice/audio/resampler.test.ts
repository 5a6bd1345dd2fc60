import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { stereoToMono } from '../../../src/voice/audio/pcm.js';
import { loadResampler, Resampler } from '../../../src/voice/audio/resampler.js';
import { SUPPORTED_SAMPLE_RATES } from '../../../src/voice/audio/sample-rates.js';
import { concat, frames, goertzelPower, interleave, sine, zeroCrossingFrequency } from './signals.js';

function runStream(r: Resampler, input: Int16Array, inRate: number): Int16Array {
  return concat(...frames(input, inRate, 20).map((f) => r.process(f).slice()));
}

describe('Resampler', () => {
  it('48 kHz stereo -> 16 kHz mono keeps length and frequency', async () => {
    const left = sine(1000, 48000, 1000, 8000);
    const stereo = interleave(left, sine(1000, 48000, 1000, 4000));
    const r = await Resampler.create({ inputRate: 48000, outputRate: 16000 });
    const mono = concat(...frames(stereo, 96000, 20).map((f) => r.process(stereoToMono(f)).slice()));
    expect(mono.length).toBe(16000);
    const tail = mono.subarray(800); // skip the filter's start-up
    expect(zeroCrossingFrequency(tail, 16000)).toBeCloseTo(1000, 0);
    expect(goertzelPower(tail, 1000, 16000)).toBeGreaterThan(100 * goertzelPower(tail, 1500, 16000));
    r.close();
  });

  it('16 kHz -> 48 kHz outbound keeps length and frequency', async () => {
    const r = await Resampler.create({ inputRate: 16000, outputRate: 48000 });
    const out = runStream(r, sine(440, 16000, 1000, 10000), 16000);
    expect(out.length).toBe(48000);
    expect(zeroCrossingFrequency(out.subarray(2400), 48000)).toBeCloseTo(440, 0);
    r.close();
  });

  it('joins consecutive frames without clicks', async () => {
    const r = await Resampler.create({ inputRate: 8000, outputRate: 16000 });
    const out = runStream(r, sine(300, 8000, 500, 10000), 8000);
    // A 300 Hz sine of amplitude 10000 at 16 kHz moves at most ~1180 per sample; a seam
    // between frames (a restart of the filter) would jump much further.
    let maxStep = 0;
    for (let i = 200; i < out.length; i++) maxStep = Math.max(maxStep, Math.abs(out[i] - out[i - 1]));
    expect(maxStep).toBeLessThan(1300);
  });

  it('converts between every pair of supported rates with the right length', async () => {
    await loadResampler();
    for (const from of SUPPORTED_SAMPLE_RATES) {
      for (const to of SUPPORTED_SAMPLE_RATES) {
        const r = new Resampler({ inputRate: from, outputRate: to });
        const out = runStream(r, sine(500, from, 1000, 8000), from);
        expect(Math.abs(out.length - to)).toBeLessThanOrEqual(2);
        r.close();
      }
    }
  });

  it('is a pass-through when the rates match', () => {
    const r = new Resampler({ inputRate: 16000, outputRate: 16000 });
    const input = sine(440, 16000, 20);
    expect(r.isPassThrough).toBe(true);
    expect(r.process(input)).toBe(input);
  });

  it('rejects unsupported rates and bad channel splits with ValidationError', async () => {
    await expect(Resampler.create({ inputRate: 11025, outputRate: 16000 })).rejects.toThrow(ValidationError);
    expect(() => new Resampler({ inputRate: 16000, outputRate: 12345 })).toThrow(
      /unsupported output sample rate/,
    );
    const r = await Resampler.create({ inputRate: 16000, outputRate: 8000, channels: 2 });
    expect(() => r.process(new Int16Array(3))).toThrow(ValidationError);
    r.close();
  });

  it('keeps separate state per instance (interleaving two streams changes nothing)', async () => {
    const a = sine(700, 44100, 400, 9000);
    const b = sine(2500, 44100, 400, 3000, 1);
    const alone = async (x: Int16Array) =>
      runStream(await Resampler.create({ inputRate: 44100, outputRate: 16000 }), x, 44100);
    const [ra, rb] = [await alone(a), await alone(b)];
    const r1 = await Resampler.create({ inputRate: 44100, outputRate: 16000 });
    const r2 = await Resampler.create({ inputRate: 44100, outputRate: 16000 });
    const fa = frames(a, 44100);
    const fb = frames(b, 44100);
    const oa: Int16Array[] = [];
    const ob: Int16Array[] = [];
    for (let i = 0; i < fa.length; i++) {
      oa.push(r1.process(fa[i]).slice());
      ob.push(r2.process(fb[i]).slice());
    }
    expect(Array.from(concat(...oa))).toEqual(Array.from(ra));
    expect(Array.from(concat(...ob))).toEqual(Array.from(rb));
    expect(Array.from(ra)).not.toEqual(Array.from(rb));
  });
});
