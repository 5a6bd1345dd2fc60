import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuplicateError, ValidationError } from '../../../src/core/errors.js';
import { AudioDependencyError } from '../../../src/voice/audio/dependency-error.js';
import { stereoToMono } from '../../../src/voice/audio/pcm.js';
import { decodeWav } from '../../../src/voice/audio/wav.js';
import { loadWasmModule } from '../../../src/voice/audio/wasm-module.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import { AudioPipeline } from '../../../src/voice/pipeline/audio-pipeline.js';
import type { AudioPipelineEvents } from '../../../src/voice/pipeline/events.js';
import { EnergyVADProvider } from '../../../src/voice/pipeline/energy-vad.js';
import { GainPostProcessor } from '../../../src/voice/pipeline/gain-post-processor.js';
import { GoertzelDTMFDetector } from '../../../src/voice/pipeline/goertzel-dtmf.js';
import { SimpleAGCProvider } from '../../../src/voice/pipeline/simple-agc.js';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import type { AECStage, FrameStage, StageProvider } from '../../../src/voice/pipeline/stages.js';
import { WavFileRecorder } from '../../../src/voice/pipeline/wav-recorder.js';
import type { AudioFrame } from '../../../src/voice/types.js';
import { VoiceCapability } from '../../../src/voice/types.js';
import {
  concat,
  dtmfTone,
  echoOf,
  energy,
  frames,
  interleave,
  noise,
  sine,
  voiced,
  zeroCrossingFrequency,
} from '../audio/signals.js';

const dir = mkdtempSync(join(tmpdir(), 'roomkit-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mono = (data: Int16Array, sampleRate = 16000): AudioFrame => ({ data, sampleRate, channels: 1 });

/** A transforming stage that logs its calls and can be told to throw or to add an offset. */
function probe(
  name: string,
  log: string[],
  opts: { throws?: boolean; add?: number } = {},
): StageProvider<AECStage> {
  return {
    name,
    createStage: () => {
      let out = new Int16Array(0);
      return {
        process(frame: AudioFrame): AudioFrame {
          log.push(`${name}.process`);
          if (opts.throws) {
            frame.data[0] = 12345; // even a stage that scribbles first must not change the result
            throw new Error(`${name} broke`);
          }
          if (out.length !== frame.data.length) out = new Int16Array(frame.data.length);
          for (let i = 0; i < out.length; i++) out[i] = frame.data[i] + (opts.add ?? 0);
          return { ...frame, data: out };
        },
        feedReference: () => log.push(`${name}.feedReference`),
      };
    },
  };
}

describe('AudioPipeline', () => {
  it('runs inbound stages in order: recorder, DTMF, AEC, AGC, denoiser, VAD', async () => {
    const log: string[] = [];
    const pipeline = new AudioPipeline({
      recorder: {
        name: 'rec',
        createStage: () => ({
          tapInbound: () => log.push('recorder.tapInbound'),
          tapOutbound: () => log.push('recorder.tapOutbound'),
          close: () => ({
            sessionId: '',
            path: '',
            durationSeconds: 0,
            sampleRate: 0,
            channels: 1,
            sizeBytes: 0,
            mode: 'both',
          }),
        }),
      },
      dtmf: {
        name: 'dtmf',
        createStage: () => ({
          process: () => {
            log.push('dtmf.process');
            return null;
          },
        }),
      },
      aec: probe('aec', log),
      agc: probe('agc', log) as StageProvider<FrameStage>,
      denoiser: probe('denoiser', log) as StageProvider<FrameStage>,
      vad: {
        name: 'vad',
        createStage: () => ({
          isSpeaking: false,
          process: () => {
            log.push('vad.process');
            return null;
          },
        }),
      },
      postProcessors: [
        probe('post1', log) as StageProvider<FrameStage>,
        probe('post2', log) as StageProvider<FrameStage>,
      ],
    });
    const session = await pipeline.createSession('s1');
    session.processInbound(mono(new Int16Array(320)));
    expect(log).toEqual([
      'recorder.tapInbound',
      'dtmf.process',
      // The pipeline hands the AEC the reference lined up with this very frame, then the frame.
      'aec.feedReference',
      'aec.process',
      'agc.process',
      'denoiser.process',
      'vad.process',
    ]);
    log.length = 0;
    session.processOutbound(mono(new Int16Array(320)));
    // The reference is kept on the session's timeline until the echo of it comes back.
    expect(log).toEqual(['post1.process', 'post2.process', 'recorder.tapOutbound']);
    session.close();
  });

  it('skips AEC and AGC when the transport does them natively', async () => {
    const log: string[] = [];
    const pipeline = new AudioPipeline({
      aec: probe('aec', log),
      agc: probe('agc', log) as StageProvider<FrameStage>,
      denoiser: probe('denoiser', log) as StageProvider<FrameStage>,
    });
    const session = await pipeline.createSession('s', {
      capabilities: VoiceCapability.NATIVE_AEC | VoiceCapability.NATIVE_AGC,
    });
    session.processInbound(mono(new Int16Array(160)));
    session.processOutbound(mono(new Int16Array(160)));
    expect(log).toEqual(['denoiser.process']);
  });

  it('a throwing stage leaves the frame as it was, processing continues, and the error is reported once', async () => {
    const log: string[] = [];
    const pipeline = new AudioPipeline({
      agc: probe('agc', log, { throws: true }) as StageProvider<FrameStage>,
      denoiser: probe('denoiser', log, { add: 1 }) as StageProvider<FrameStage>,
    });
    const errors: AudioPipelineEvents['error'][] = [];
    pipeline.on('error', (e) => errors.push(e));
    const session = await pipeline.createSession('s');
    const input = sine(300, 16000, 20);
    for (let i = 0; i < 5; i++) {
      const out = session.processInbound(mono(input.slice()));
      // The denoiser (+1) ran on the untouched frame: AGC's failure cost nothing but its own effect.
      expect(out.data[5]).toBe(input[5] + 1);
      expect(out.data[0]).toBe(input[0] + 1);
    }
    expect(log.filter((l) => l === 'denoiser.process')).toHaveLength(5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ sessionId: 's', stage: 'agc' });
    expect(String(errors[0].error)).toMatch(/agc broke/);
  });

  it('resamples 48 kHz stereo in to 16 kHz mono, and 16 kHz out to 48 kHz', async () => {
    const pipeline = new AudioPipeline();
    const session = await pipeline.createSession('s', { inputSampleRate: 48000, outputSampleRate: 48000 });
    const stereo = interleave(sine(1000, 48000, 1000, 8000), sine(1000, 48000, 1000, 8000));
    const inbound = frames(stereo, 96000).map((data) => {
      const out = session.processInbound({ data, sampleRate: 48000, channels: 2 });
      expect(out).toMatchObject({ sampleRate: 16000, channels: 1 });
      return out.data.slice();
    });
    const inMono = concat(...inbound);
    expect(inMono.length).toBe(16000);
    expect(zeroCrossingFrequency(inMono.subarray(800), 16000)).toBeCloseTo(1000, 0);
    const outbound = concat(
      ...frames(sine(440, 16000, 1000), 16000).map((data) => {
        const out = session.processOutbound(mono(data));
        expect(out.sampleRate).toBe(48000);
        return out.data.slice();
      }),
    );
    expect(outbound.length).toBe(48000);
    expect(zeroCrossingFrequency(outbound.subarray(2400), 48000)).toBeCloseTo(440, 0);
    // TTS at 24 kHz is converted to the transport rate too.
    expect(session.processOutbound(mono(sine(440, 24000, 20), 24000)).data.length).toBe(960);
  });

  it('emits speech start/end with the utterance, DTMF digits and throttled audio levels', async () => {
    const pipeline = new AudioPipeline({
      vad: new EnergyVADProvider({ threshold: 300, silenceMs: 500, minSpeechMs: 60, prerollMs: 300 }),
      dtmf: new GoertzelDTMFDetector(),
      agc: new SimpleAGCProvider({ targetLevelDbfs: -12 }),
      levelIntervalMs: 100,
    });
    const session = await pipeline.createSession('s', { inputSampleRate: 8000 });
    const got: string[] = [];
    let utterance: AudioPipelineEvents['speechEnd'] | undefined;
    const levels: AudioPipelineEvents['audioLevel'][] = [];
    session.on('speechStart', () => got.push('start'));
    session.on('speechEnd', (e) => {
      got.push('end');
      utterance = e;
    });
    pipeline.on('dtmf', (e) => got.push(`dtmf:${e.digit}`));
    session.on('audioLevel', (e) => levels.push(e));
    const signal = concat(
      noise(8000, 500, 20, 1),
      dtmfTone(852, 1477, 8000, 100, 6000),
      noise(8000, 700, 20, 2),
      voiced(8000, 1000, { amplitude: 4000 }),
      noise(8000, 1000, 20, 3),
    );
    for (const data of frames(signal, 8000)) session.processInbound(mono(data, 8000));
    // The DTMF tone is loud enough to be speech to an energy VAD too: that utterance comes first.
    expect(got).toEqual(['dtmf:9', 'start', 'end', 'start', 'end']);
    expect(utterance?.sampleRate).toBe(16000);
    expect(utterance?.durationMs).toBeCloseTo((utterance!.audio.length / 16000) * 1000, 6);
    expect(utterance!.durationMs).toBeGreaterThan(1500);
    expect(levels).toHaveLength(33); // 3.3 s at one level per 100 ms
    expect(levels.some((l) => l.isSpeech)).toBe(true);
    expect(levels.every((l) => l.direction === 'inbound' && l.levelDb <= 0)).toBe(true);
  });

  it('cancels the echo of outbound audio fed through processOutbound (>= 20 dB)', async () => {
    const pipeline = new AudioPipeline({ aec: new SpeexAECProvider() });
    const clock = new ManualClock();
    const session = await pipeline.createSession('s', {
      inputSampleRate: 16000,
      outputSampleRate: 8000,
      clock,
    });
    const far = noise(16000, 5000, 8000, 31);
    const mic = echoOf(far);
    const farFrames = frames(far, 16000);
    const out = concat(
      ...frames(mic, 16000).map((data, i) => {
        session.processOutbound(mono(farFrames[i]));
        clock.advance(20); // the microphone frame arrives once it has been captured
        return session.processInbound(mono(data)).data.slice();
      }),
    );
    const from = 4 * 16000;
    expect(10 * Math.log10(energy(mic, from) / energy(out, from))).toBeGreaterThanOrEqual(20);
  });

  it('records a session through the pipeline and closes the file', async () => {
    const pipeline = new AudioPipeline({
      recorder: new WavFileRecorder({ directory: dir }),
      postProcessors: [new GainPostProcessor({ gainDb: 6.0206 })],
    });
    const session = await pipeline.createSession('rec', { inputSampleRate: 8000, outputSampleRate: 24000 });
    const played = session.processOutbound(
      mono(
        Int16Array.from({ length: 480 }, () => 1000),
        24000,
      ),
    );
    expect(played.data[10]).toBe(2000); // gain doubled it
    for (const data of frames(sine(300, 8000, 500), 8000)) session.processInbound(mono(data, 8000));
    const { recording } = session.close();
    expect(recording).toMatchObject({ channels: 2, sampleRate: 16000 });
    expect(recording!.durationSeconds).toBeCloseTo(0.5, 6);
    const wav = decodeWav(new Uint8Array(readFileSync(recording!.path)));
    expect(wav.samples.length).toBe(16000);
    expect(pipeline.sessionCount).toBe(0);
    expect(() => session.processInbound(mono(new Int16Array(160)))).toThrow(ValidationError);
  });

  it('every session gets its own stages: interleaving two sessions changes neither', async () => {
    const pipeline = new AudioPipeline({
      vad: new EnergyVADProvider({ silenceMs: 200 }),
      agc: new SimpleAGCProvider(),
      dtmf: new GoertzelDTMFDetector(),
      aec: new SpeexAECProvider(),
      postProcessors: [new GainPostProcessor({ gainDb: -3 })],
    });
    const script = (signal: Int16Array, far: Int16Array) =>
      frames(signal, 48000).map((data, i) => ({ data, far: frames(far, 24000)[i] }));
    const a = script(concat(voiced(48000, 600), noise(48000, 400, 50, 1)), sine(500, 24000, 1000, 3000));
    const b = script(concat(noise(48000, 300, 50, 2), voiced(48000, 700, { f0: 220 })), voiced(24000, 1000));
    const run = async (id: string, steps: typeof a, other?: { id: string; steps: typeof a }) => {
      const trace = (s: Awaited<ReturnType<typeof pipeline.createSession>>, t: unknown[]) => {
        s.on('speechStart', () => t.push('start'));
        s.on('speechEnd', (e) => t.push(['end', e.audio.length]));
        return s;
      };
      const ta: unknown[] = [];
      const tb: unknown[] = [];
      // One clock for both: the echo guard places audio on it, and it must tick the same alone or mixed.
      const clock = new ManualClock();
      const rates = { inputSampleRate: 48000, outputSampleRate: 48000, clock };
      const sa = trace(await pipeline.createSession(id, rates), ta);
      const sb = other ? trace(await pipeline.createSession(other.id, rates), tb) : undefined;
      for (let i = 0; i < steps.length; i++) {
        clock.advance(20);
        ta.push(Array.from(sa.processOutbound(mono(steps[i].far, 24000)).data));
        ta.push(Array.from(sa.processInbound(mono(steps[i].data, 48000)).data));
        if (sb && other) {
          tb.push(Array.from(sb.processOutbound(mono(other.steps[i].far, 24000)).data));
          tb.push(Array.from(sb.processInbound(mono(other.steps[i].data, 48000)).data));
        }
      }
      sa.close();
      sb?.close();
      return [ta, tb];
    };
    const [aloneA] = await run('a', a);
    const [aloneB] = await run('b', b);
    const [mixedA, mixedB] = await run('a2', a, { id: 'b2', steps: b });
    expect(aloneA).not.toEqual(aloneB);
    expect(mixedA).toEqual(aloneA);
    expect(mixedB).toEqual(aloneB);
  });

  it('rejects duplicate sessions, bad rates and malformed frames with typed errors', async () => {
    const pipeline = new AudioPipeline();
    const s = await pipeline.createSession('x');
    await expect(pipeline.createSession('x')).rejects.toThrow(DuplicateError);
    await expect(pipeline.createSession('y', { inputSampleRate: 11025 })).rejects.toThrow(ValidationError);
    expect(() => new AudioPipeline({ internalSampleRate: 12000 })).toThrow(ValidationError);
    expect(() => s.processInbound({ data: new Int16Array(3), sampleRate: 16000, channels: 2 })).toThrow(
      ValidationError,
    );
    expect(() => s.processInbound({ data: new Int16Array(4), sampleRate: 11025, channels: 1 })).toThrow(
      ValidationError,
    );
    // The same stereo frame is fine.
    expect(
      s.processInbound({ data: stereoToMono(new Int16Array(8)), sampleRate: 16000, channels: 1 }).data.length,
    ).toBe(4);
  });

  it('a stage whose module cannot load fails session creation with an install hint', async () => {
    const missing = {
      name: 'missing',
      createStage: async () => {
        await loadWasmModule('@roomkit/no-such-wasm', 'MissingProvider');
        return { process: (f: AudioFrame) => f };
      },
    };
    const pipeline = new AudioPipeline({ denoiser: missing, agc: new SimpleAGCProvider() });
    const err = await pipeline.createSession('s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDependencyError);
    expect((err as AudioDependencyError).message).toMatch(
      /MissingProvider is unavailable.*npm install @roomkit\/no-such-wasm/,
    );
    expect(pipeline.sessionCount).toBe(0);
  });
});
