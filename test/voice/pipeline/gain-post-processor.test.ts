import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { GainPostProcessor } from '../../../src/voice/pipeline/gain-post-processor.js';
import { frames, sine } from '../audio/signals.js';
import { expectIsolatedSessions, samplesOf } from './isolation.js';

describe('GainPostProcessor', () => {
  it('applies a fixed gain, clamping instead of wrapping', () => {
    const stage = new GainPostProcessor({ gainDb: 6.0206 }).createStage();
    const input = Int16Array.from([100, -100, 20000, -20000]);
    expect(samplesOf(stage.process({ data: input, sampleRate: 16000, channels: 1 }))).toEqual([
      200, -200, 32767, -32768,
    ]);
    expect(Array.from(input)).toEqual([100, -100, 20000, -20000]); // input untouched
    expect(() => new GainPostProcessor({ gainDb: Number.NaN })).toThrow(ValidationError);
  });

  it('keeps state per session', async () => {
    const provider = new GainPostProcessor({ gainDb: -6 });
    await expectIsolatedSessions({
      create: () => provider.createStage(),
      step: (stage, data: Int16Array) => samplesOf(stage.process({ data, sampleRate: 16000, channels: 1 })),
      inputsA: frames(sine(300, 16000, 100), 16000),
      inputsB: frames(sine(900, 16000, 100, 20000), 16000),
    });
  });
});
