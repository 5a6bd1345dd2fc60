import { describe, expect, it } from 'vitest';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import type { AECStage } from '../../../src/voice/pipeline/stages.js';
import { echoOf, energy, frames, noise, voiced } from '../audio/signals.js';
import { expectIsolatedSessions, samplesOf, stageContext } from './isolation.js';

const RATE = 16000;

function run(stage: AECStage, reference: Int16Array, mic: Int16Array, frameMs = 20): Int16Array {
  const refFrames = frames(reference, RATE, frameMs);
  const micFrames = frames(mic, RATE, frameMs);
  const out = new Int16Array(micFrames.length * micFrames[0].length);
  micFrames.forEach((data, i) => {
    stage.feedReference({ data: refFrames[i], sampleRate: RATE, channels: 1 });
    out.set(stage.process({ data, sampleRate: RATE, channels: 1 }).data, i * data.length);
  });
  return out;
}

function erleDb(mic: Int16Array, out: Int16Array, fromSec: number): number {
  const from = fromSec * RATE;
  return 10 * Math.log10(energy(mic, from, out.length) / Math.max(1, energy(out, from)));
}

describe('SpeexAECProvider', () => {
  it('removes at least 20 dB of a white-noise echo after convergence', () => {
    const stage = new SpeexAECProvider().createStage(stageContext('s'));
    const far = noise(RATE, 6000, 8000, 21);
    const mic = echoOf(far);
    expect(erleDb(mic, run(stage, far, mic), 4)).toBeGreaterThanOrEqual(20);
    stage.close?.();
  });

  it('removes at least 20 dB of a speech-like echo, also with frames that are not whole blocks', () => {
    const stage = new SpeexAECProvider().createStage(stageContext('s'));
    const far = voiced(RATE, 8000, { amplitude: 8000 });
    const mic = echoOf(far, 45);
    expect(erleDb(mic, run(stage, far, mic, 25), 5)).toBeGreaterThanOrEqual(20);
    stage.close?.();
  });

  it('leaves near-end speech through when nothing is playing', () => {
    const stage = new SpeexAECProvider().createStage(stageContext('s'));
    const near = voiced(RATE, 2000);
    const out = run(stage, new Int16Array(near.length), near);
    expect(Math.abs(10 * Math.log10(energy(out, RATE) / energy(near, RATE)))).toBeLessThan(1);
    stage.close?.();
  });

  it('keeps state per session', async () => {
    const provider = new SpeexAECProvider();
    const pairs = (far: Int16Array) => {
      const mic = echoOf(far);
      return frames(far, RATE).map((ref, i) => ({ ref, mic: frames(mic, RATE)[i] }));
    };
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, p: { ref: Int16Array; mic: Int16Array }) => {
        stage.feedReference({ data: p.ref, sampleRate: RATE, channels: 1 });
        return samplesOf(stage.process({ data: p.mic, sampleRate: RATE, channels: 1 }));
      },
      inputsA: pairs(noise(RATE, 600, 8000, 1)),
      inputsB: pairs(voiced(RATE, 600)),
      close: (stage) => stage.close?.(),
    });
  });
});
