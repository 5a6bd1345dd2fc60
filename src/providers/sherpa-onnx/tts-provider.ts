import { ValidationError } from '../../core/errors.js';
import { float32ToInt16, int16ToBytes } from '../../voice/audio/pcm.js';
import { Resampler } from '../../voice/audio/resampler.js';
import type { AudioChunk, TTSCapabilities, TTSOptions, TTSProvider } from '../../voice/types.js';
import { linkedAbort, nextUnlessAborted } from '../local/abort.js';
import { resampleOnce } from '../local/pcm.js';
import { SentenceSplitter } from '../local/sentence-splitter.js';
import { AsyncQueue } from '../shared/async-queue.js';
import { BaseTTSProvider } from '../shared/speech-provider-base.js';
import { createNative } from './model-files.js';
import { SerialLane } from './serial-lane.js';
import { loadSherpaOnnx, type SherpaOfflineTts } from './sherpa-module.js';
import {
  offlineTtsConfig,
  type ResolvedTTSConfig,
  resolveTTSConfig,
  type SherpaOnnxTTSConfig,
  TTS_PROVIDER,
} from './tts-config.js';

/**
 * Offline text-to-speech with sherpa-onnx VITS/Piper models (the seed's
 * SherpaOnnxTTSProvider). Synthesis runs on sherpa-onnx's worker thread, one request at a
 * time per provider; `synthesizeStream` yields each sentence as soon as it is generated,
 * and `synthesizeStreamInput` starts on the first complete sentence of an LLM's tokens.
 * Output is PCM s16 mono at `sampleRate` (the model's rate is resampled when it differs).
 */
export class SherpaOnnxTTSProvider extends BaseTTSProvider implements TTSProvider {
  readonly name = 'sherpa-onnx';
  readonly capabilities: TTSCapabilities;
  readonly defaultVoice: string;
  readonly config: Readonly<ResolvedTTSConfig>;
  private engine?: Promise<SherpaOfflineTts>;
  private readonly lane = new SerialLane();

  constructor(config: SherpaOnnxTTSConfig) {
    super();
    this.config = resolveTTSConfig(config);
    this.defaultVoice = String(this.config.speakerId);
    this.capabilities = { streaming: true, streamingInput: true, sampleRate: this.config.sampleRate };
  }

  /** Loads the model now, so the first reply does not wait for it. */
  async warmup(): Promise<void> {
    await this.load();
  }

  async synthesize(text: string, opts: TTSOptions = {}): Promise<AudioChunk> {
    opts.signal?.throwIfAborted();
    if (!text.trim()) return this.chunk(new Int16Array(0), 0, true);
    const tts = await this.load();
    const sid = this.speaker(tts, opts.voice);
    const audio = await this.lane.run(() => {
      opts.signal?.throwIfAborted();
      return tts.generateAsync({ text, sid, speed: this.config.speed });
    });
    opts.signal?.throwIfAborted();
    const pcm = await resampleOnce(float32ToInt16(audio.samples), audio.sampleRate, this.config.sampleRate);
    return this.chunk(pcm, 0, true);
  }

  /** One chunk per sentence, as sherpa-onnx generates it; abort stops generation too. */
  async *synthesizeStream(text: string, opts: TTSOptions = {}): AsyncIterable<AudioChunk> {
    if (opts.signal?.aborted || !text.trim()) return;
    const tts = await this.load();
    const sid = this.speaker(tts, opts.voice);
    const inner = linkedAbort(opts.signal);
    const parts = new AsyncQueue<Float32Array>();
    let streamed = false;
    const generation = this.lane.run(async () => {
      if (inner.signal.aborted) return undefined;
      return tts.generateAsync({
        text,
        sid,
        speed: this.config.speed,
        onProgress: ({ samples }) => {
          if (inner.signal.aborted) return 0; // tells sherpa-onnx to stop generating
          streamed = true;
          parts.push(samples.slice()); // the native buffer is only valid during the callback
          return 1;
        },
      });
    });
    generation.then(
      (audio) => {
        // A build without progress callbacks still gives the whole result at the end.
        if (audio && !streamed) parts.push(audio.samples);
        parts.end();
      },
      (err) => parts.fail(err),
    );
    const onAbort = () => parts.return();
    inner.signal.addEventListener('abort', onAbort, { once: true });
    let resampler: Resampler | undefined;
    let offsetMs = 0;
    try {
      const modelRate = (tts.sampleRate || this.config.sampleRate) as number;
      if (modelRate !== this.config.sampleRate) {
        resampler = await Resampler.create({ inputRate: modelRate, outputRate: this.config.sampleRate });
      }
      for await (const samples of parts) {
        const raw = float32ToInt16(samples);
        const pcm = resampler ? resampler.process(raw).slice() : raw;
        const chunk = this.chunk(pcm, offsetMs, false);
        offsetMs += (pcm.length * 1000) / this.config.sampleRate;
        yield chunk;
        if (inner.signal.aborted) return;
      }
      if (!inner.signal.aborted) yield this.chunk(new Int16Array(0), offsetMs, true);
    } finally {
      inner.abort();
      inner.signal.removeEventListener('abort', onAbort);
      inner.dispose();
      resampler?.close();
      await generation.catch(() => {}); // the worker finishes (stopped) before we return
    }
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: TTSOptions = {},
  ): AsyncIterable<AudioChunk> {
    const splitter = new SentenceSplitter();
    const inner = linkedAbort(opts.signal);
    const input = text[Symbol.asyncIterator]();
    let inputDone = false;
    let offsetMs = 0;
    try {
      while (!inner.signal.aborted) {
        const next = await nextUnlessAborted(input, inner.signal);
        if (!next) return;
        const sentences = next.done ? splitter.flush() : splitter.push(next.value);
        for (const sentence of sentences) {
          for await (const chunk of this.synthesizeStream(sentence, { ...opts, signal: inner.signal })) {
            if (chunk.data.byteLength === 0) continue;
            chunk.timestampMs = offsetMs;
            offsetMs += (chunk.data.byteLength / 2 / this.config.sampleRate) * 1000;
            yield chunk;
          }
          if (inner.signal.aborted) return;
        }
        if (next.done) {
          inputDone = true;
          yield this.chunk(new Int16Array(0), offsetMs, true);
          return;
        }
      }
    } finally {
      inner.abort();
      inner.dispose();
      if (!inputDone) input.return?.().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.engine = undefined;
  }

  /** The speaker for a call: `voice` as a number string, else the configured `speakerId`. */
  private speaker(tts: SherpaOfflineTts, voice: string | undefined): number {
    if (voice === undefined) return this.config.speakerId;
    const sid = /^\d+$/.test(voice) ? Number(voice) : Number.NaN;
    if (!Number.isInteger(sid) || (tts.numSpeakers > 0 && sid >= tts.numSpeakers)) {
      throw new ValidationError(
        `${TTS_PROVIDER}: voice must be a speaker id from 0 to ${Math.max(0, tts.numSpeakers - 1)}, got ${JSON.stringify(voice)}`,
        undefined,
        'voice',
      );
    }
    return sid;
  }

  private load(): Promise<SherpaOfflineTts> {
    this.engine ??= (async () => {
      const sherpa = loadSherpaOnnx('SherpaOnnxTTSProvider');
      return createNative(TTS_PROVIDER, 'TTS', () =>
        sherpa.OfflineTts.createAsync(offlineTtsConfig(this.config)),
      );
    })().catch((err) => {
      this.engine = undefined;
      throw err;
    });
    return this.engine;
  }

  private chunk(pcm: Int16Array, timestampMs: number, isFinal: boolean): AudioChunk {
    return {
      data: int16ToBytes(pcm),
      sampleRate: this.config.sampleRate,
      channels: 1,
      format: 'pcm_s16le',
      timestampMs,
      isFinal,
    };
  }
}
