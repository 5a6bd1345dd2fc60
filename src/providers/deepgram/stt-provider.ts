import { ValidationError } from '../../core/errors.js';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../core/resilience/circuit-breaker.js';
import type { RetryPolicy } from '../../core/resilience/retry.js';
import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  STTStreamEvent,
  TranscriptionResult,
} from '../../voice/types.js';
import { transcribeViaStream } from '../shared/batch-transcribe.js';
import { defaultProviderLogger, type ProviderLogger } from '../shared/provider-logger.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseSTTProvider } from '../shared/speech-provider-base.js';
import { DEEPGRAM, DeepgramLiveStream } from './live-stream.js';

export interface DeepgramSTTOptions {
  /** Default: process.env.DEEPGRAM_API_KEY. */
  apiKey?: string;
  /** Default 'wss://api.deepgram.com'. */
  baseUrl?: string;
  /** Default 'nova-3'. */
  model?: string;
  /** Default 'en'. */
  language?: string;
  /** Rate sent to Deepgram; audio is resampled to it (default: the rate of the first frame). */
  sampleRate?: number;
  /** Interim (partial) results (default true). */
  interimResults?: boolean;
  /** Silence (ms) that marks `speech_final`, or false to rely on UtteranceEnd only (default 300). */
  endpointingMs?: number | false;
  /** Gap (ms) after the last word that sends UtteranceEnd; needs interim results; >= 1000 (default 1000). */
  utteranceEndMs?: number;
  /** SpeechStarted events for barge-in (default true). */
  vadEvents?: boolean;
  punctuate?: boolean;
  smartFormat?: boolean;
  /** Terms to boost (nova-3 `keyterm`). */
  keyterms?: string[];
  /** Any other /v1/listen query parameter. */
  query?: Record<string, string>;
  /** KeepAlive after this long without audio (default 4000 ms; Deepgram closes at 10 s). */
  keepAliveIntervalMs?: number;
  reconnect?: RetryPolicy;
  circuitBreaker?: CircuitBreakerOptions;
  connectTimeoutMs?: number;
  logger?: ProviderLogger;
}

const OPTIONS = optionNames<DeepgramSTTOptions>({
  apiKey: true,
  baseUrl: true,
  model: true,
  language: true,
  sampleRate: true,
  interimResults: true,
  endpointingMs: true,
  utteranceEndMs: true,
  vadEvents: true,
  punctuate: true,
  smartFormat: true,
  keyterms: true,
  query: true,
  keepAliveIntervalMs: true,
  reconnect: true,
  circuitBreaker: true,
  connectTimeoutMs: true,
  logger: true,
});

/** Deepgram live streaming speech-to-text (`/v1/listen`, Nova models). */
export class DeepgramSTTProvider extends BaseSTTProvider implements STTProvider {
  readonly name = DEEPGRAM;
  readonly capabilities: STTCapabilities;
  readonly breaker: CircuitBreaker;
  private readonly apiKey: string;
  private readonly logger: ProviderLogger;

  constructor(private readonly opts: DeepgramSTTOptions = {}) {
    super();
    checkOptions(DEEPGRAM, opts, OPTIONS);
    this.apiKey = opts.apiKey ?? process.env.DEEPGRAM_API_KEY ?? '';
    this.logger = opts.logger ?? defaultProviderLogger(DEEPGRAM);
    if (opts.utteranceEndMs !== undefined && opts.utteranceEndMs < 1000) {
      throw new ValidationError('deepgram: utteranceEndMs must be at least 1000');
    }
    this.capabilities = {
      streaming: true,
      partials: opts.interimResults ?? true,
      turnDetection: true,
      preferredSampleRate: opts.sampleRate ?? 16_000,
    };
    this.breaker = new CircuitBreaker(`${DEEPGRAM}-stt`, { failureThreshold: 5, ...opts.circuitBreaker });
  }

  transcribeStream(audio: AsyncIterable<AudioFrame>, opts: STTOptions = {}): AsyncIterable<STTStreamEvent> {
    const language = opts.language ?? this.opts.language ?? 'en';
    return new DeepgramLiveStream(
      audio,
      {
        apiKey: this.apiKey,
        url: (rate) => this.url(rate, language),
        sampleRate: this.opts.sampleRate,
        keepAliveIntervalMs: this.opts.keepAliveIntervalMs ?? 4_000,
        prerollS: 0.5,
        reconnect: { maxRetries: 5, baseDelayMs: 200, ...this.opts.reconnect },
        breaker: this.breaker,
        language,
        logger: this.logger,
        connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
      },
      opts.signal,
    );
  }

  /** Batch over the live socket: sends the audio, closes the stream, joins every final. */
  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    return transcribeViaStream(
      DEEPGRAM,
      audio,
      (frames) => this.transcribeStream(frames, opts),
      opts.language ?? this.opts.language ?? 'en',
    );
  }

  private url(sampleRate: number, language: string): string {
    const o = this.opts;
    const q = new URLSearchParams({
      model: o.model ?? 'nova-3',
      language,
      encoding: 'linear16',
      sample_rate: String(sampleRate),
      channels: '1',
      interim_results: String(o.interimResults ?? true),
      endpointing: o.endpointingMs === false ? 'false' : String(o.endpointingMs ?? 300),
      vad_events: String(o.vadEvents ?? true),
      punctuate: String(o.punctuate ?? true),
      smart_format: String(o.smartFormat ?? true),
    });
    if (o.interimResults !== false) q.set('utterance_end_ms', String(o.utteranceEndMs ?? 1000));
    for (const k of o.keyterms ?? []) q.append('keyterm', k);
    for (const [k, v] of Object.entries(o.query ?? {})) q.set(k, v);
    return `${(o.baseUrl ?? 'wss://api.deepgram.com').replace(/\/$/, '')}/v1/listen?${q}`;
  }
}
