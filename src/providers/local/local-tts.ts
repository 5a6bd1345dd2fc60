import type { AudioChunk, TTSCapabilities, TTSOptions, TTSProvider } from '../../voice/types.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseTTSProvider } from '../shared/speech-provider-base.js';
import { linkedAbort, nextUnlessAborted, unlessAborted } from './abort.js';
import { LocalEngineError } from './errors.js';
import { downmixToMono, int16ToBytes } from '../../voice/audio/pcm.js';
import { decodeWav } from '../../voice/audio/wav.js';
import { resampleOnce } from './pcm.js';
import { SentenceSplitter, splitSentences } from './sentence-splitter.js';
import { ENGINES, type EngineSpec, type LocalTTSEngine, runEngine } from './tts-engines.js';

export interface LocalTTSOptions {
  /** Which Debian engine to run. Default `flite`. */
  engine?: LocalTTSEngine;
  /** Engine voice. Defaults: flite `rms`, espeak-ng `en-us+klatt2`. Per call: `TTSOptions.voice`. */
  voice?: string;
  /** espeak-ng speed in words per minute. Default 170. */
  wordsPerMinute?: number;
  /** Run this executable instead of the one on PATH. */
  binaryPath?: string;
  /** Extra engine arguments, e.g. `['--setf', 'duration_stretch=1.2']` for flite. */
  extraArgs?: string[];
  /** Streaming: longest sentence before cutting at a clause. Default 240 characters. */
  maxSentenceChars?: number;
}

const OPTIONS = optionNames<LocalTTSOptions>({
  engine: true,
  voice: true,
  wordsPerMinute: true,
  binaryPath: true,
  extraArgs: true,
  maxSentenceChars: true,
});

/**
 * Offline text-to-speech with Debian's flite or espeak-ng, one child process per sentence,
 * PCM s16 mono out at the engine's rate (flite 16 kHz, espeak-ng 22.05 kHz). Streaming is
 * per sentence: the first sentence plays while the rest is still being synthesised, and
 * with `synthesizeStreamInput` while the rest is still being written by the LLM.
 */
export class LocalTTSProvider extends BaseTTSProvider implements TTSProvider {
  readonly name: string;
  readonly capabilities: TTSCapabilities;
  readonly defaultVoice: string;
  private readonly spec: EngineSpec;
  private readonly opts: LocalTTSOptions;

  constructor(opts: LocalTTSOptions = {}) {
    super();
    checkOptions('local-tts', opts, OPTIONS);
    this.spec = ENGINES[opts.engine ?? 'flite'];
    if (!this.spec)
      throw new LocalEngineError(
        'local-tts',
        `unknown engine ${String(opts.engine)}; use flite or espeak-ng`,
      );
    this.opts = opts;
    this.name = this.spec.engine;
    this.defaultVoice = opts.voice ?? this.spec.defaultVoice;
    this.capabilities = { streaming: true, streamingInput: true, sampleRate: this.spec.sampleRate };
  }

  /** Checks the engine binary runs (a missing one throws LocalEngineMissingError). */
  async warmup(): Promise<void> {
    await this.render('ready', {});
  }

  async synthesize(text: string, opts: TTSOptions = {}): Promise<AudioChunk> {
    opts.signal?.throwIfAborted();
    const pcm = text.trim() ? await this.render(text, opts) : new Int16Array(0);
    return this.chunk(pcm, 0, true);
  }

  async *synthesizeStream(text: string, opts: TTSOptions = {}): AsyncIterable<AudioChunk> {
    const sentences = splitSentences(text, { maxChars: this.opts.maxSentenceChars });
    // Our own controller: a consumer that stops early must not leave a look-ahead child running.
    const inner = linkedAbort(opts.signal);
    let next = sentences.length ? this.render(sentences[0], opts, inner.signal) : undefined;
    let offsetMs = 0;
    try {
      for (let i = 0; i < sentences.length && next; i++) {
        const current = next;
        // Look one sentence ahead so the engine works while the caller plays the current one.
        next = i + 1 < sentences.length ? this.render(sentences[i + 1], opts, inner.signal) : undefined;
        next?.catch(() => {}); // its error, if any, surfaces when awaited
        const pcm = await unlessAborted(current, inner.signal);
        if (!pcm) return;
        const chunk = this.chunk(pcm, offsetMs, i === sentences.length - 1);
        offsetMs += (pcm.length * 1000) / this.spec.sampleRate;
        yield chunk;
        if (inner.signal.aborted) return;
      }
    } finally {
      inner.abort();
      inner.dispose();
      // Wait for the killed look-ahead child to be gone: a finished stream leaves no process.
      await next?.catch(() => {});
    }
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: TTSOptions = {},
  ): AsyncIterable<AudioChunk> {
    const splitter = new SentenceSplitter({ maxChars: this.opts.maxSentenceChars });
    const inner = linkedAbort(opts.signal);
    const input = text[Symbol.asyncIterator]();
    let inputDone = false;
    let offsetMs = 0;
    const speak = async (sentence: string) => {
      const pcm = await unlessAborted(this.render(sentence, opts, inner.signal), inner.signal);
      if (!pcm) return undefined;
      const chunk = this.chunk(pcm, offsetMs, false);
      offsetMs += (pcm.length * 1000) / this.spec.sampleRate;
      return chunk;
    };
    try {
      while (!inner.signal.aborted) {
        const next = await nextUnlessAborted(input, inner.signal);
        if (!next) return;
        const sentences = next.done ? splitter.flush() : splitter.push(next.value);
        for (const sentence of sentences) {
          const chunk = await speak(sentence);
          if (!chunk) return;
          yield chunk;
        }
        if (next.done) {
          inputDone = true;
          return;
        }
      }
    } finally {
      inner.abort();
      inner.dispose();
      if (!inputDone) input.return?.().catch(() => {});
    }
  }

  /** Runs the engine on one piece of text; PCM at the declared rate. */
  private async render(text: string, opts: TTSOptions, signal = opts.signal): Promise<Int16Array> {
    const wavBytes = await runEngine(
      this.spec,
      this.opts.binaryPath ?? this.spec.binary,
      text,
      {
        voice: opts.voice ?? this.defaultVoice,
        wordsPerMinute: this.opts.wordsPerMinute,
        extraArgs: this.opts.extraArgs ?? [],
      },
      signal,
    );
    let wav: ReturnType<typeof decodeWav>;
    try {
      wav = decodeWav(wavBytes);
    } catch (err) {
      throw new LocalEngineError(this.spec.engine, 'engine wrote no readable WAV', err);
    }
    if (wav.channels !== 1)
      throw new LocalEngineError(this.spec.engine, `expected mono output, got ${wav.channels} channels`);
    // Another voice may use another rate (flite's `kal` is 8 kHz); keep the declared contract.
    return resampleOnce(downmixToMono(wav.samples, wav.channels), wav.sampleRate, this.spec.sampleRate);
  }

  private chunk(pcm: Int16Array, timestampMs: number, isFinal: boolean): AudioChunk {
    return {
      data: int16ToBytes(pcm),
      sampleRate: this.spec.sampleRate,
      channels: 1,
      format: 'pcm_s16le',
      timestampMs,
      isFinal,
    };
  }
}

/** flite, voice `rms` by default, 16 kHz. */
export class FliteTTSProvider extends LocalTTSProvider {
  constructor(opts: Omit<LocalTTSOptions, 'engine'> = {}) {
    super({ ...opts, engine: 'flite' });
  }
}

/** espeak-ng, voice `en-us+klatt2` at 170 wpm by default, 22.05 kHz. */
export class EspeakTTSProvider extends LocalTTSProvider {
  constructor(opts: Omit<LocalTTSOptions, 'engine'> = {}) {
    super({ ...opts, engine: 'espeak-ng' });
  }
}
