import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  STTStreamEvent,
  TranscriptionResult,
} from '../../voice/types.js';
import { nextUnlessAborted, rejectOnAbort } from './abort.js';
import { DecoderPool } from './decoder-pool.js';
import { downmixToMono } from '../../voice/audio/pcm.js';
import { Resampler } from '../../voice/audio/resampler.js';
import { resampleOnce, toMonoFrame } from './pcm.js';
import { PocketSphinxDecoder } from './pocketsphinx-decoder.js';
import { type PocketSphinxModelOptions, PROVIDER_NAME } from './pocketsphinx-library.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseSTTProvider } from '../shared/speech-provider-base.js';

/** The rate the en-us acoustic model was trained on. */
const MODEL_RATE = 16_000;

export interface LocalSTTOptions extends PocketSphinxModelOptions {
  /** Decoders kept alive (each holds the model, ~40 MB, and serves one stream at a time). Default 1. */
  poolSize?: number;
  /**
   * Most audio handed to one native call while streaming; bounds how long an aborted stream
   * waits for the decoder. Default 500 ms. (`transcribe` hands over the whole utterance.)
   */
  maxChunkMs?: number;
  /** Audio to feed between two looks at the hypothesis when streaming. Default 100 ms. */
  partialIntervalMs?: number;
}

const OPTIONS = optionNames<LocalSTTOptions>({
  modelDir: true,
  hmm: true,
  lm: true,
  dict: true,
  config: true,
  libraryPath: true,
  poolSize: true,
  maxChunkMs: true,
  partialIntervalMs: true,
});

/**
 * Offline speech-to-text with Debian's pocketsphinx (en-us), called in-process through
 * koffi. Decoders are created lazily, reused across utterances (a stream's running cepstral
 * mean adapts to the speaker, and loading costs ~200 ms) and leased one stream at a time.
 * Accuracy is modest (about 10% WER on clear synthetic speech): fine for demos,
 * offline tests and keyword-ish commands, not for dictation.
 */
export class LocalSTTProvider extends BaseSTTProvider implements STTProvider {
  readonly name = PROVIDER_NAME;
  readonly capabilities: STTCapabilities = {
    streaming: true,
    partials: true,
    turnDetection: false,
    preferredSampleRate: MODEL_RATE,
  };
  private readonly opts: LocalSTTOptions;
  private pool?: DecoderPool<PocketSphinxDecoder>;
  private readonly maxChunk: number;
  private readonly partialEvery: number;

  constructor(opts: LocalSTTOptions = {}) {
    super();
    checkOptions(PROVIDER_NAME, opts, OPTIONS);
    this.opts = opts;
    this.maxChunk = Math.max(160, Math.round(((opts.maxChunkMs ?? 500) * MODEL_RATE) / 1000));
    this.partialEvery = Math.max(0, Math.round(((opts.partialIntervalMs ?? 100) * MODEL_RATE) / 1000));
  }

  /** Loads the library and one decoder (the model) so the first utterance starts at once. */
  async warmup(): Promise<void> {
    this.decoders().prime();
  }

  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const frame = toMonoFrame(audio);
    const pcm = await resampleOnce(frame.data, frame.sampleRate, MODEL_RATE);
    const pool = this.decoders();
    const decoder = await pool.acquire(signal);
    // One native call with the whole utterance (see processRaw); the decoder goes back to the
    // pool when that call ends, but an abort rejects at once (what the call reads after that,
    // from a buffer its caller may reuse, feeds a result nobody receives).
    const decoding = (async () => {
      try {
        decoder.startUtterance();
        await decoder.processRaw(pcm, true);
        return decoder.finish();
      } finally {
        decoder.endUtterance();
        pool.release(decoder);
      }
    })();
    return signal ? rejectOnAbort(decoding, signal) : decoding;
  }

  /**
   * Feeds frames as they arrive; yields a `partial` whenever the hypothesis changes and one
   * `final` when the input ends. Abort ends the stream promptly, without a final.
   */
  async *transcribeStream(
    audio: AsyncIterable<AudioFrame>,
    opts: STTOptions = {},
  ): AsyncIterable<STTStreamEvent> {
    const { signal } = opts;
    if (signal?.aborted) return;
    const pool = this.decoders();
    let decoder: PocketSphinxDecoder;
    try {
      decoder = await pool.acquire(signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    const input = audio[Symbol.asyncIterator]();
    let inputDone = false;
    let resampler: Resampler | undefined;
    try {
      decoder.startUtterance();
      let lastHyp = '';
      let sinceLook = 0;
      while (true) {
        const next = await nextUnlessAborted(input, signal);
        if (next === undefined) return; // aborted
        if (next.done) {
          inputDone = true;
          break;
        }
        const frame = next.value;
        // Per-stream resampler state, so frames join without clicks; rebuilt if the rate changes.
        if (!resampler || resampler.inputRate !== frame.sampleRate) {
          resampler?.close();
          resampler = await Resampler.create({ inputRate: frame.sampleRate, outputRate: MODEL_RATE });
        }
        // The resampler reuses its output buffer: fine, the decoder is done with it before the next frame.
        const pcm = resampler.process(downmixToMono(frame.data, frame.channels || 1));
        for (let i = 0; i < pcm.length; i += this.maxChunk) {
          await decoder.processRaw(pcm.subarray(i, i + this.maxChunk));
          if (signal?.aborted) return;
        }
        sinceLook += pcm.length;
        if (sinceLook < this.partialEvery) continue;
        sinceLook = 0;
        const hyp = decoder.hypothesis();
        if (hyp && hyp !== lastHyp) {
          lastHyp = hyp;
          yield { type: 'partial', result: { text: hyp, isFinal: false, language: 'en-US' } };
          if (signal?.aborted) return;
        }
      }
      yield { type: 'final', result: decoder.finish() };
    } finally {
      resampler?.close();
      decoder.endUtterance();
      pool.release(decoder);
      // Stopped early (abort or the consumer broke off): let the producer clean up too.
      if (!inputDone) input.return?.().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.pool?.close();
    this.pool = undefined;
  }

  private decoders(): DecoderPool<PocketSphinxDecoder> {
    this.pool ??= new DecoderPool(
      () => PocketSphinxDecoder.create(this.opts),
      (d) => d.free(),
      this.opts.poolSize ?? 1,
    );
    return this.pool;
  }
}
