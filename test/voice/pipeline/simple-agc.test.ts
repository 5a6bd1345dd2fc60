import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { rmsDbfs } from '../../../src/voice/audio/levels.js';
import { SimpleAGCProvider } from '../../../src/voice/pipeline/simple-agc.js';
import type { FrameStage } from '../../../src/voice/pipeline/stages.js';
import { concat, frames, scale, sine, voiced } from '../audio/signals.js';
import { expectIsolatedSessions, samplesOf, stageContext } from './isolation.js';

function run(stage: FrameStage, signal: Int16Array): Int16Array {
  return concat(
    ...frames(signal, 16000).map((data) =>
      stage.process({ data, sampleRate: 16000, channels: 1 }).data.slice(),
    ),
  );
}

function maxAbs(x: Int16Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}

describe('SimpleAGCProvider', () => {
  it('brings a quiet voice near the target without clipping', () => {
    const stage = new SimpleAGCProvider({ targetLevelDbfs: -12 }).createStage(stageContext('s'));
    const quiet = voiced(16000, 3000, { amplitude: 1000 });
    expect(rmsDbfs(quiet)).toBeLessThan(-40);
    const out = run(stage, quiet);
    const settled = out.subarray(16000);
    expect(Math.abs(rmsDbfs(settled) - -12)).toBeLessThan(2);
    expect(maxAbs(out)).toBeLessThan(32767);
  });

  it('turns a loud tone down to the target', () => {
    const stage = new SimpleAGCProvider({ targetLevelDbfs: -12 }).createStage(stageContext('s'));
    const out = run(stage, sine(500, 16000, 2000, 30000));
    expect(rmsDbfs(out.subarray(8000))).toBeCloseTo(-12, 0);
  });

  it('never clips when a loud burst follows a quiet stretch (gain is peak-limited)', () => {
    const stage = new SimpleAGCProvider({ targetLevelDbfs: -6, maxGainDb: 40, attackMs: 200 }).createStage(
      stageContext('s'),
    );
    const out = run(stage, concat(voiced(16000, 2000, { amplitude: 200 }), scale(voiced(16000, 500), 4)));
    expect(maxAbs(out)).toBeLessThanOrEqual(32767);
    // Not a wrap-around: the loud part is still loud.
    expect(rmsDbfs(out.subarray(32000))).toBeGreaterThan(-12);
  });

  it('does not boost silence-level hiss past the gate', () => {
    const stage = new SimpleAGCProvider().createStage(stageContext('s'));
    const hiss = Int16Array.from({ length: 16000 }, (_, i) => (i % 2 ? 20 : -20));
    expect(maxAbs(run(stage, hiss))).toBe(20);
  });

  it('validates its config', () => {
    expect(() => new SimpleAGCProvider({ targetLevelDbfs: 3 })).toThrow(ValidationError);
    expect(() => new SimpleAGCProvider({ maxGainDb: -1 })).toThrow(ValidationError);
  });

  it('keeps state per session', async () => {
    const provider = new SimpleAGCProvider();
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) => samplesOf(stage.process({ data, sampleRate: 16000, channels: 1 })),
      inputsA: frames(voiced(16000, 800, { amplitude: 500 }), 16000),
      inputsB: frames(sine(300, 16000, 800, 25000), 16000),
    });
  });
});
