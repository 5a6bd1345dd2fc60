import type {
  AudioChunk,
  AudioEncoding,
  TranscriptionWord,
  TTSCapabilities,
  TTSOptions,
  TTSProvider,
} from '../../voice/types.js';
import { ValidationError } from '../../core/errors.js';
import { feedPhrases } from '../shared/feed-phrases.js';
import type { PhraseChunkerOptions } from '../shared/phrase-chunker.js';
import { ReusableSocket } from '../shared/reusable-socket.js';
import { defaultProviderLogger, type ProviderLogger } from '../shared/provider-logger.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseTTSProvider } from '../shared/speech-provider-base.js';
import { type GradiumLocation, gradiumRestBase, gradiumTtsUrl } from './endpoints.js';
import { GRADIUM } from './gradium-errors.js';
import { type GradiumTtsSocket, openGradiumTtsSocket, TtsRequest } from './tts-connection.js';
import { GradiumVoiceClient } from './voices.js';
import { collectAudio, textOnce } from '../shared/tts-batch.js';

export type GradiumTtsOutputFormat =
  | 'pcm'
  | 'pcm_8000'
  | 'pcm_16000'
  | 'pcm_22050'
  | 'pcm_24000'
  | 'pcm_44100'
  | 'pcm_48000'
  | 'ulaw_8000'
  | 'alaw_8000';

export interface GradiumTTSOptions extends GradiumLocation {
  /** Default: process.env.GRADIUM_API_KEY. */
  apiKey?: string;
  /** Library or cloned voice uid (default 'YTpq7expH9539ERJ'). */
  voiceId?: string;
  modelName?: string;
  /** Default 'pcm': 48 kHz s16le, the model's own rate; the pipeline resamples for the transport. */
  outputFormat?: GradiumTtsOutputFormat;
  /** Speaking speed as Gradium's padding_bonus: -4 (fast) .. 4 (slow), 0 = normal. */
  speed?: number;
  /** Sampling temperature 0 .. 1.4 (default: server's 0.7). */
  temp?: number;
  /** Voice similarity 1 .. 4 (cfg_coef). */
  similarity?: number;
  /** Text normalisation rules: a language alias ('en', 'fr', ...) or comma-separated rule names. */
  rewriteRules?: string;
  pronunciationId?: string;
  /** How LLM tokens are grouped before sending (whole words, flush at sentence ends). */
  chunking?: PhraseChunkerOptions;
  /** Open a new socket for replies once the current one is this old, seconds (default 280: the cap is 300). */
  maxSocketAgeS?: number;
  /** REST base for voices (default derived from region/endpoint). */
  restBaseUrl?: string;
  connectTimeoutMs?: number;
  logger?: ProviderLogger;
}

const OPTIONS = optionNames<GradiumTTSOptions>({
  region: true,
  endpoint: true,
  apiKey: true,
  voiceId: true,
  modelName: true,
  outputFormat: true,
  speed: true,
  temp: true,
  similarity: true,
  rewriteRules: true,
  pronunciationId: true,
  chunking: true,
  maxSocketAgeS: true,
  restBaseUrl: true,
  connectTimeoutMs: true,
  logger: true,
});

/** Per-call options: the contract's, plus word timestamps as they are voiced. */
export interface GradiumTTSCallOptions extends TTSOptions {
  onWord?: (word: TranscriptionWord) => void;
}

const FORMATS: Record<GradiumTtsOutputFormat, { rate: number; encoding: AudioEncoding }> = {
  pcm: { rate: 48_000, encoding: 'pcm_s16le' },
  pcm_8000: { rate: 8_000, encoding: 'pcm_s16le' },
  pcm_16000: { rate: 16_000, encoding: 'pcm_s16le' },
  pcm_22050: { rate: 22_050, encoding: 'pcm_s16le' },
  pcm_24000: { rate: 24_000, encoding: 'pcm_s16le' },
  pcm_44100: { rate: 44_100, encoding: 'pcm_s16le' },
  pcm_48000: { rate: 48_000, encoding: 'pcm_s16le' },
  ulaw_8000: { rate: 8_000, encoding: 'mulaw' },
  alaw_8000: { rate: 8_000, encoding: 'alaw' },
};

/**
 * Gradium streaming text-to-speech. LLM tokens are sent as whole-word phrases with
 * `<flush>` at sentence ends, so the first sentence is voiced while the model still
 * writes; replies share one socket (client_req_id); aborting the signal stops the reply
 * at once. `voices` manages cloned voices.
 */
export class GradiumTTSProvider extends BaseTTSProvider implements TTSProvider {
  readonly name = GRADIUM;
  readonly capabilities: TTSCapabilities;
  readonly defaultVoice: string;
  readonly voices: GradiumVoiceClient;
  private readonly apiKey: string;
  private readonly logger: ProviderLogger;
  private readonly format: { rate: number; encoding: AudioEncoding };
  private readonly socket: ReusableSocket<GradiumTtsSocket>;

  constructor(private readonly opts: GradiumTTSOptions = {}) {
    super();
    checkOptions(GRADIUM, opts, OPTIONS);
    this.defaultVoice = opts.voiceId ?? 'YTpq7expH9539ERJ';
    this.apiKey = opts.apiKey ?? process.env.GRADIUM_API_KEY ?? '';
    this.logger = opts.logger ?? defaultProviderLogger(GRADIUM);
    this.format = FORMATS[opts.outputFormat ?? 'pcm'];
    if (!this.format) throw new ValidationError(`gradium: unsupported outputFormat ${opts.outputFormat}`);
    if (opts.speed !== undefined && (opts.speed < -4 || opts.speed > 4)) {
      throw new ValidationError('gradium: speed (padding_bonus) must be within [-4, 4]');
    }
    this.capabilities = { streaming: true, streamingInput: true, sampleRate: this.format.rate };
    this.voices = new GradiumVoiceClient(gradiumRestBase(opts), this.apiKey);
    this.socket = new ReusableSocket(
      () =>
        openGradiumTtsSocket({
          url: gradiumTtsUrl(opts),
          apiKey: this.apiKey,
          logger: this.logger,
          connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        }),
      opts.maxSocketAgeS ?? 280,
    );
  }

  synthesize(text: string, opts: GradiumTTSCallOptions = {}): Promise<AudioChunk> {
    return collectAudio(this.synthesizeStream(text, opts), this.format);
  }

  synthesizeStream(text: string, opts: GradiumTTSCallOptions = {}): AsyncIterable<AudioChunk> {
    return this.synthesizeStreamInput(textOnce(text), opts);
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: GradiumTTSCallOptions = {},
  ): AsyncIterable<AudioChunk> {
    const signal = opts.signal;
    if (signal?.aborted) return;
    const request = await TtsRequest.open(this.socket, this.setupFields(opts), this.logger);
    const onAbort = () => request.abandon();
    signal?.addEventListener('abort', onAbort, { once: true });
    const feeding = feedPhrases(
      text,
      {
        get active() {
          return request.active;
        },
        // <flush> at sentence ends: voiced now instead of waiting for context that will not come.
        send: (chunk) => request.sendText(chunk.sentenceEnd ? `${chunk.text} <flush>` : chunk.text),
        end: () => request.end(),
      },
      { chunking: this.opts.chunking, signal, logger: this.logger },
    );
    try {
      for await (const msg of request.messages) {
        if (signal?.aborted) return;
        if (msg.type === 'audio') {
          yield {
            data: Buffer.from(msg.audio, 'base64'),
            sampleRate: this.format.rate,
            channels: 1,
            format: this.format.encoding,
            timestampMs: msg.start_s !== undefined ? Math.round(msg.start_s * 1000) : undefined,
          };
        } else if (msg.type === 'text') {
          opts.onWord?.({
            word: msg.text,
            startMs: msg.start_s * 1000,
            endMs: (msg.stop_s ?? msg.start_s) * 1000,
          });
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      request.abandon(); // no-op after a normal end; stops the server side on early exit
      // Not awaited: the text source may be blocked on the LLM; the feeder stops at its next token.
      void feeding;
    }
  }

  /** Opens the shared socket ahead of the first reply. */
  async warmup(): Promise<void> {
    await this.socket.acquire();
  }

  async close(): Promise<void> {
    await this.socket.close();
  }

  private setupFields(opts: GradiumTTSCallOptions): Record<string, unknown> {
    const o = this.opts;
    const config: Record<string, unknown> = {};
    if (o.speed !== undefined && o.speed !== 0) config.padding_bonus = o.speed;
    if (o.temp !== undefined) config.temp = o.temp;
    if (o.similarity !== undefined) config.cfg_coef = o.similarity;
    if (o.rewriteRules) config.rewrite_rules = o.rewriteRules;
    return {
      model_name: o.modelName ?? 'default',
      voice_id: opts.voice ?? this.defaultVoice,
      output_format: o.outputFormat ?? 'pcm',
      ...(o.pronunciationId ? { pronunciation_id: o.pronunciationId } : {}),
      ...(Object.keys(config).length > 0 ? { json_config: config } : {}),
    };
  }
}
