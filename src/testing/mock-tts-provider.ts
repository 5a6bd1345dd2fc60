import { BaseTTSProvider } from '../providers/shared/speech-provider-base.js';
import type { AudioChunk, TTSCapabilities, TTSOptions, TTSProvider } from '../voice/types.js';
import { abortable } from './mock-stt-provider.js';

export interface MockTTSProviderOptions {
  /** Default voice, used when a call names none (default 'mock-voice', as the seed's mock). */
  voice?: string;
  /** Output rate (default 16 000). */
  sampleRate?: number;
  /** Audio per character of text, ms (default 10). */
  msPerChar?: number;
  /** Chunk length, ms (default 20). */
  chunkMs?: number;
}

export interface MockTTSCall {
  method: 'synthesize' | 'synthesizeStream' | 'synthesizeStreamInput';
  text: string;
  voice: string;
  chunks: number;
  aborted: boolean;
}

/**
 * A deterministic TTS for tests: a quiet tone whose length is proportional to the text,
 * in fixed chunks; streaming input is voiced piece by piece as it arrives; every call is
 * logged in `calls`; aborting the signal stops the stream at once.
 */
export class MockTTSProvider extends BaseTTSProvider implements TTSProvider {
  readonly name = 'mock-tts';
  readonly capabilities: TTSCapabilities;
  readonly calls: MockTTSCall[] = [];

  constructor(private readonly opts: MockTTSProviderOptions = {}) {
    super();
    this.capabilities = { streaming: true, streamingInput: true, sampleRate: opts.sampleRate ?? 16_000 };
  }

  /** The seed's other properties (supportsStreaming, sampleRate...) come from BaseTTSProvider. */
  get defaultVoice(): string {
    return this.opts.voice ?? 'mock-voice';
  }

  async synthesize(text: string, opts: TTSOptions = {}): Promise<AudioChunk> {
    const call = this.log('synthesize', opts);
    call.text = text;
    const data = this.render(text);
    call.chunks = 1;
    return {
      data,
      sampleRate: this.capabilities.sampleRate,
      channels: 1,
      format: 'pcm_s16le',
      isFinal: true,
    };
  }

  async *synthesizeStream(text: string, opts: TTSOptions = {}): AsyncGenerator<AudioChunk> {
    const call = this.log('synthesizeStream', opts);
    call.text = text;
    yield* this.chunks(text, call, opts.signal);
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: TTSOptions = {},
  ): AsyncGenerator<AudioChunk> {
    const call = this.log('synthesizeStreamInput', opts);
    for await (const piece of abortable(text, opts.signal)) {
      call.text += piece;
      yield* this.chunks(piece, call, opts.signal);
      if (opts.signal?.aborted) break;
    }
    call.aborted = opts.signal?.aborted ?? false;
  }

  private log(method: MockTTSCall['method'], opts: TTSOptions): MockTTSCall {
    const call: MockTTSCall = {
      method,
      text: '',
      voice: opts.voice ?? this.defaultVoice,
      chunks: 0,
      aborted: false,
    };
    this.calls.push(call);
    return call;
  }

  private async *chunks(text: string, call: MockTTSCall, signal?: AbortSignal): AsyncGenerator<AudioChunk> {
    const data = this.render(text);
    const rate = this.capabilities.sampleRate;
    const bytesPerChunk = Math.round((rate * (this.opts.chunkMs ?? 20)) / 1000) * 2;
    for (let i = 0; i < data.length; i += bytesPerChunk) {
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) {
        call.aborted = true;
        return;
      }
      call.chunks++;
      yield {
        data: data.subarray(i, i + bytesPerChunk),
        sampleRate: rate,
        channels: 1,
        format: 'pcm_s16le',
        timestampMs: (i / 2 / rate) * 1000,
      };
    }
  }

  /** A 440 Hz tone at -20 dBFS, `msPerChar` per non-space character. */
  private render(text: string): Uint8Array {
    const rate = this.capabilities.sampleRate;
    const chars = text.replace(/\s+/g, '').length;
    const samples = new Int16Array(Math.round((rate * chars * (this.opts.msPerChar ?? 10)) / 1000));
    for (let i = 0; i < samples.length; i++)
      samples[i] = Math.round(3277 * Math.sin((2 * Math.PI * 440 * i) / rate));
    return new Uint8Array(samples.buffer);
  }
}
