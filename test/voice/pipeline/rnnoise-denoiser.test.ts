import { describe, expect, it } from 'vitest';
import { RNNoiseDenoiserProvider } from '../../../src/voice/pipeline/rnnoise-denoiser.js';
import type { FrameStage } from '../../../src/voice/pipeline/stages.js';
import { concat, energy, frames, noise, voiced } from '../audio/signals.js';
import { expectIsolatedSessions, samplesOf, stageContext } from './isolation.js';

function run(stage: FrameStage, signal: Int16Array, rate: number, frameMs = 20): Int16Array {
  return concat(
    ...frames(signal, rate, frameMs).map((data) =>
      stage.process({ data, sampleRate: rate, channels: 1 }).data.slice(),
    ),
  );
}

describe('RNNoiseDenoiserProvider', () => {
  it('lowers the energy of noise-only input (by more than 20 dB) and keeps the length', async () => {
    const stage = await new RNNoiseDenoiserProvider().createStage(stageContext('s'));
    const input = noise(16000, 3000, 2000, 11);
    const out = run(stage, input, 16000);
    expect(out.length).toBe(input.length);
    const from = 16000; // let the model settle for a second
    const reduction = 10 * Math.log10(energy(input, from) / Math.max(1, energy(out, from)));
    expect(reduction).toBeGreaterThan(20);
    stage.close?.();
  });

  it('works at 8 kHz and 48 kHz, and with frames that are not a whole block', async () => {
    for (const [rate, frameMs] of [
      [8000, 20],
      [48000, 10],
      [16000, 16],
    ]) {
      const stage = await new RNNoiseDenoiserProvider().createStage(stageContext('s', rate));
      // Smoothed noise: full-band white noise at 48 kHz is mostly above what speech models care about.
      const white = noise(rate, 2000, 4000, 12);
      const input = Int16Array.from(white, (_, i) =>
        Math.round((white[i] + white[Math.max(0, i - 1)] + white[Math.max(0, i - 2)]) / 3),
      );
      const out = run(stage, input, rate, frameMs);
      expect(out.length).toBe(frames(input, rate, frameMs).length * Math.round((rate * frameMs) / 1000));
      const half = out.length >> 1;
      expect(energy(out, half)).toBeLessThan(energy(input, half, out.length) / 10);
      stage.close?.();
    }
  });

  it('keeps state per session', async () => {
    const provider = new RNNoiseDenoiserProvider();
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) => samplesOf(stage.process({ data, sampleRate: 16000, channels: 1 })),
      inputsA: frames(noise(16000, 600, 2000, 1), 16000),
      inputsB: frames(concat(voiced(16000, 300), noise(16000, 300, 500, 2)), 16000),
      close: (stage) => stage.close?.(),
    });
  });
});
