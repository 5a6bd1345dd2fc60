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
  /**
   * Keep every call in `calls` (default true, for tests to read). False keeps none: a load
   * test's mock, standing in for a remote vendor, should not hold every request it was sent.
   */
  recordCalls?: boolean;
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
    if (this.opts.recordCalls !== false) this.calls.push(call);
    return call;
  }

  private async *chunks(text: string, call: MockTTSCall, signal?: AbortSignal): AsyncGenerator<AudioChunk> {
    const rate = this.capabilities.sampleRate;
    const total = this.sampleCount(text) * 2;
    const bytesPerChunk = Math.round((rate * (this.opts.chunkMs ?? 20)) / 1000) * 2;
    for (let i = 0; i < total; i += bytesPerChunk) {
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) {
        call.aborted = true;
        return;
      }
      call.chunks++;
      // Rendered chunk by chunk, as a streaming engine would: a reply nobody pulls costs nothing.
      yield {
        data: this.tone(i / 2, Math.min(bytesPerChunk, total - i) / 2),
        sampleRate: rate,
        channels: 1,
        format: 'pcm_s16le',
        timestampMs: (i / 2 / rate) * 1000,
      };
    }
  }

  /** `msPerChar` of audio per non-space character. */
  private sampleCount(text: string): number {
    const chars = text.replace(/\s+/g, '').length;
    return Math.round((this.capabilities.sampleRate * chars * (this.opts.msPerChar ?? 10)) / 1000);
  }

  private render(text: string): Uint8Array {
    return this.tone(0, this.sampleCount(text));
  }

  /**
   * Samples [from, from + n) of a 440 Hz tone at -20 dBFS, copied from one cached period into a
   * Buffer from Node's pool, as a vendor client's `Buffer.from(audio, 'base64')` makes its
   * chunks (a fresh ArrayBuffer per chunk made the mock's chunks a sixth of a turn burst's CPU).
   */
  private tone(from: number, n: number): Uint8Array {
    const period = tonePeriod(this.capabilities.sampleRate);
    const periodSamples = period.length / 2;
    const out = Buffer.allocUnsafe(n * 2);
    let filled = 0;
    while (filled < n) {
      const at = (from + filled) % periodSamples;
      const take = Math.min(n - filled, periodSamples - at);
      period.copy(out, filled * 2, at * 2, (at + take) * 2);
      filled += take;
    }
    return out;
  }
}

const periods = new Map<number, Buffer>();

/**
 * One whole period of the mock's tone at `rate`, as s16le bytes (440 Hz repeats every
 * rate / gcd(rate, 440) samples). A Buffer, so chunks copy from it without making a view.
 */
function tonePeriod(rate: number): Buffer {
  let period = periods.get(rate);
  if (!period) {
    let a = rate;
    let b = 440;
    while (b) [a, b] = [b, a % b];
    const samples = rate / a;
    period = Buffer.alloc(samples * 2);
    for (let i = 0; i < samples; i++)
      period.writeInt16LE(Math.round(3277 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
    periods.set(rate, period);
  }
  return period;
}
