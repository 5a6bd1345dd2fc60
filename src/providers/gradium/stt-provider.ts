import { ValidationError } from '../../core/errors.js';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../core/resilience/circuit-breaker.js';
import type { RetryPolicy } from '../../core/resilience/retry.js';
import type {
  AudioChunk,
  AudioFrame,
  STTCapabilities,
  STTOptions,
  STTProvider,
  TranscriptionResult,
} from '../../voice/types.js';
import { transcribeViaStream } from '../shared/batch-transcribe.js';
import { defaultProviderLogger, type ProviderLogger } from '../shared/provider-logger.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseSTTProvider } from '../shared/speech-provider-base.js';
import { type GradiumLocation, gradiumSttUrl } from './endpoints.js';
import { GRADIUM } from './gradium-errors.js';
import { type GradiumSessionLimits, GradiumSttStream } from './stt-stream.js';
import { GradiumSttSession } from './stt-session.js';
import {
  type GradiumTurnOptions,
  GradiumTurnPolicy,
  type GradiumTurnPreset,
  withVadThreshold,
} from './turn-policy.js';

export type GradiumSttInputFormat =
  | 'pcm'
  | 'pcm_8000'
  | 'pcm_16000'
  | 'pcm_22050'
  | 'pcm_24000'
  | 'pcm_44100'
  | 'pcm_48000';

export interface GradiumSTTOptions extends GradiumLocation {
  /** Default: process.env.GRADIUM_API_KEY. */
  apiKey?: string;
  /** Default 'default'. */
  modelName?: string;
  /** Grounds the model on one language: en, fr, de, es, pt (default: the model detects). */
  language?: string;
  /** Look-ahead in 80 ms frames before text is emitted: 7, 8, 10, 12, 14, 16, 20, 24, 32, 36, 48 (default 10). */
  delayInFrames?: number;
  /** What is sent on the wire; audio is resampled to its rate (default 'pcm', 24 kHz, the model's own rate). */
  inputFormat?: GradiumSttInputFormat;
  /** Extra json_config keys (temp, padding_bonus...). */
  jsonConfig?: Record<string, unknown>;
  /** Turn detection from semantic VAD: a preset, options, or false for "one final when the input ends" (default 'balanced'). */
  turn?: GradiumTurnPreset | GradiumTurnOptions | false;
  /**
   * The inactivity probability above which the user is done (the Gradium article's
   * `vad_threshold`), read on the turn policy's horizon (2 s unless `turn` picks another).
   * Overrides the preset's threshold; default: the preset's (0.5 for 'balanced').
   */
  vadThreshold?: number;
  /** Session cap handling (defaults: 300 s cap, switch 20 s before, 1 s replayed for context). */
  session?: Partial<GradiumSessionLimits>;
  /** Reconnect backoff (default: 5 retries, 200 ms doubling to 5 s). */
  reconnect?: RetryPolicy;
  /** Stops connection attempts to an endpoint that keeps failing (default: 5 failures, 30 s). */
  circuitBreaker?: CircuitBreakerOptions;
  /** Finalize a turn anyway if `flushed` does not come back (default 3000 ms). */
  flushTimeoutMs?: number;
  /** Shortest-horizon inactivity below which two steps in a row mean speech started (default 0.2). */
  speechStartThreshold?: number;
  connectTimeoutMs?: number;
  logger?: ProviderLogger;
}

const OPTIONS = optionNames<GradiumSTTOptions>({
  region: true,
  endpoint: true,
  apiKey: true,
  modelName: true,
  language: true,
  delayInFrames: true,
  inputFormat: true,
  jsonConfig: true,
  turn: true,
  vadThreshold: true,
  session: true,
  reconnect: true,
  circuitBreaker: true,
  flushTimeoutMs: true,
  speechStartThreshold: true,
  connectTimeoutMs: true,
  logger: true,
});

const INPUT_RATES: Record<GradiumSttInputFormat, number> = {
  pcm: 24_000,
  pcm_8000: 8_000,
  pcm_16000: 16_000,
  pcm_22050: 22_050,
  pcm_24000: 24_000,
  pcm_44100: 44_100,
  pcm_48000: 48_000,
};

/**
 * Gradium streaming speech-to-text with semantic-VAD turn taking.
 *
 * ```ts
 * const stt = new GradiumSTTProvider({ region: 'eu', language: 'fr', turn: 'fastAssistant' });
 * for await (const e of stt.transcribeStream(frames)) if (e.type === 'final') console.log(e.result.text);
 * ```
 */
export class GradiumSTTProvider extends BaseSTTProvider implements STTProvider {
  readonly name = GRADIUM;
  readonly capabilities: STTCapabilities;
  /** Shared by every stream of this provider: one failing endpoint, one breaker. */
  readonly breaker: CircuitBreaker;
  private readonly apiKey: string;
  private readonly logger: ProviderLogger;
  private readonly sampleRate: number;
  private readonly turn: GradiumTurnPreset | GradiumTurnOptions | false;

  constructor(private readonly opts: GradiumSTTOptions = {}) {
    super();
    checkOptions(GRADIUM, opts, OPTIONS);
    this.turn = withVadThreshold(opts.turn ?? 'balanced', opts.vadThreshold);
    this.apiKey = opts.apiKey ?? process.env.GRADIUM_API_KEY ?? '';
    this.logger = opts.logger ?? defaultProviderLogger(GRADIUM);
    this.sampleRate = INPUT_RATES[opts.inputFormat ?? 'pcm'];
    if (!this.sampleRate) throw new ValidationError(`gradium: unsupported inputFormat ${opts.inputFormat}`);
    this.capabilities = {
      streaming: true,
      partials: true,
      turnDetection: opts.turn !== false,
      preferredSampleRate: this.sampleRate,
    };
    this.breaker = new CircuitBreaker(`${GRADIUM}-stt`, {
      failureThreshold: 5,
      resetTimeoutMs: 30_000,
      ...opts.circuitBreaker,
    });
  }

  transcribeStream(audio: AsyncIterable<AudioFrame>, opts: STTOptions = {}): GradiumSttStream {
    return this.stream(audio, opts, this.turn);
  }

  /** Batch: streams the audio through one session and returns everything it heard as one final. */
  async transcribe(audio: AudioFrame | AudioChunk, opts: STTOptions = {}): Promise<TranscriptionResult> {
    return transcribeViaStream(
      GRADIUM,
      audio,
      (frames) => this.stream(frames, opts, false),
      opts.language ?? this.opts.language,
    );
  }

  /** Opens and closes one session: checks the key and warms DNS/TLS before the first call. */
  async warmup(): Promise<void> {
    const session = await this.breaker.call(() =>
      GradiumSttSession.open(this.setup(this.opts.language), { message() {}, closed() {} }),
    );
    session.close();
  }

  async close(): Promise<void> {}

  private stream(
    audio: AsyncIterable<AudioFrame>,
    opts: STTOptions,
    turn: GradiumTurnPreset | GradiumTurnOptions | false,
  ): GradiumSttStream {
    const language = opts.language ?? this.opts.language;
    return new GradiumSttStream(
      audio,
      {
        setup: this.setup(language),
        sampleRate: this.sampleRate,
        turn: turn === false ? null : new GradiumTurnPolicy(turn),
        language,
        limits: { maxDurationS: 300, rolloverMarginS: 20, prerollS: 1, ...this.opts.session },
        reconnect: { maxRetries: 5, baseDelayMs: 200, maxDelayMs: 5_000, ...this.opts.reconnect },
        breaker: this.breaker,
        flushTimeoutMs: this.opts.flushTimeoutMs ?? 3_000,
        speechStartThreshold: this.opts.speechStartThreshold ?? 0.2,
      },
      opts.signal,
    );
  }

  private setup(language: string | undefined) {
    return {
      url: gradiumSttUrl(this.opts),
      apiKey: this.apiKey,
      modelName: this.opts.modelName ?? 'default',
      inputFormat: this.opts.inputFormat ?? 'pcm',
      jsonConfig: {
        ...(language ? { language } : {}),
        delay_in_frames: this.opts.delayInFrames ?? 10,
        ...this.opts.jsonConfig,
      },
      logger: this.logger,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
    };
  }
}
