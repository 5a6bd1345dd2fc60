import { ValidationError } from '../../core/errors.js';
import type {
  AudioChunk,
  AudioEncoding,
  TTSCapabilities,
  TTSOptions,
  TTSProvider,
} from '../../voice/types.js';
import { feedPhrases } from '../shared/feed-phrases.js';
import { parseProviderMessage } from '../shared/message-validation.js';
import { MultiplexedSocket, type MultiplexProtocol } from '../shared/multiplexed-socket.js';
import type { PhraseChunkerOptions } from '../shared/phrase-chunker.js';
import { defaultProviderLogger, type ProviderLogger } from '../shared/provider-logger.js';
import { ReusableSocket } from '../shared/reusable-socket.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { BaseTTSProvider } from '../shared/speech-provider-base.js';
import { SocketRequest } from '../shared/socket-request.js';
import {
  ELEVENLABS,
  type ElevenLabsMessage,
  elevenLabsCloseError,
  elevenLabsError,
  elevenLabsMessage,
  isFinalMessage,
} from './tts-messages.js';
import { collectAudio, textOnce } from '../shared/tts-batch.js';

export interface ElevenLabsVoiceSettings {
  stability?: number;
  similarityBoost?: number;
  style?: number;
  useSpeakerBoost?: boolean;
  /** 0.7 .. 1.2 (default 1). */
  speed?: number;
}

export interface ElevenLabsTTSOptions {
  /** Default: process.env.ELEVENLABS_API_KEY. */
  apiKey?: string;
  /** Default voice (per call: `opts.voice`). */
  voiceId?: string;
  /** Default 'eleven_flash_v2_5' (WebSockets do not support eleven_v3). */
  modelId?: string;
  /** Default 'wss://api.elevenlabs.io'. */
  baseUrl?: string;
  /** Default 'pcm_24000' (s16le); pcm_8000..pcm_44100, ulaw_8000, alaw_8000, mp3_*, opus_48000_*. */
  outputFormat?: string;
  voiceSettings?: ElevenLabsVoiceSettings;
  /** Characters buffered before each generation (default: the server's [120, 160, 250, 290]). */
  chunkLengthSchedule?: number[];
  languageCode?: string;
  /** Seconds the server keeps an idle socket (default 20, max 180). */
  inactivityTimeoutS?: number;
  applyTextNormalization?: 'auto' | 'on' | 'off';
  /** How LLM tokens are grouped before sending. */
  chunking?: PhraseChunkerOptions;
  connectTimeoutMs?: number;
  logger?: ProviderLogger;
}

/** Per-call options: the contract's, plus character timings as they are voiced. */
export interface ElevenLabsTTSCallOptions extends TTSOptions {
  /** Character timings, in ms from the start of the reply. */
  onAlignment?: (chars: string[], startMs: number[], durationMs: number[]) => void;
}

const OPTIONS = optionNames<ElevenLabsTTSOptions>({
  apiKey: true,
  voiceId: true,
  modelId: true,
  baseUrl: true,
  outputFormat: true,
  voiceSettings: true,
  chunkLengthSchedule: true,
  languageCode: true,
  inactivityTimeoutS: true,
  applyTextNormalization: true,
  chunking: true,
  connectTimeoutMs: true,
  logger: true,
});

let nextContext = 1;

/**
 * ElevenLabs streaming TTS over the multi-context WebSocket: one socket per voice, one
 * context per reply. Tokens go out as whole-word phrases (flush at sentence ends); barge-in
 * closes the context, which stops generation while the socket stays warm for the next reply.
 */
export class ElevenLabsTTSProvider extends BaseTTSProvider implements TTSProvider {
  readonly name = ELEVENLABS;
  readonly capabilities: TTSCapabilities;
  readonly defaultVoice: string;
  private readonly apiKey: string;
  private readonly logger: ProviderLogger;
  private readonly format: { rate: number; encoding: AudioEncoding };
  private readonly sockets = new Map<string, ReusableSocket<MultiplexedSocket<ElevenLabsMessage>>>();

  constructor(private readonly opts: ElevenLabsTTSOptions = {}) {
    super();
    checkOptions(ELEVENLABS, opts, OPTIONS);
    this.defaultVoice = opts.voiceId ?? 'JBFqnCBsd6RMkjVDRZzb';
    this.apiKey = opts.apiKey ?? process.env.ELEVENLABS_API_KEY ?? '';
    this.logger = opts.logger ?? defaultProviderLogger(ELEVENLABS);
    this.format = parseFormat(opts.outputFormat ?? 'pcm_24000');
    this.capabilities = { streaming: true, streamingInput: true, sampleRate: this.format.rate };
  }

  synthesize(text: string, opts: ElevenLabsTTSCallOptions = {}): Promise<AudioChunk> {
    return collectAudio(this.synthesizeStream(text, opts), this.format);
  }

  synthesizeStream(text: string, opts: ElevenLabsTTSCallOptions = {}): AsyncIterable<AudioChunk> {
    return this.synthesizeStreamInput(textOnce(text), opts);
  }

  async *synthesizeStreamInput(
    text: AsyncIterable<string>,
    opts: ElevenLabsTTSCallOptions = {},
  ): AsyncIterable<AudioChunk> {
    const signal = opts.signal;
    if (signal?.aborted) return;
    const pool = this.socketFor(opts.voice ?? this.defaultVoice);
    const request = await SocketRequest.open(pool, `ctx-${nextContext++}`, {
      provider: ELEVENLABS,
      logger: this.logger,
    });
    const context_id = request.id;
    let closed = false;
    const closeContext = () => {
      if (closed) return;
      closed = true;
      request.send({ context_id, close_context: true });
    };
    // Barge-in: stop generation server-side, drop whatever is in flight client-side.
    const onAbort = () => {
      closeContext();
      request.finish(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.send({ text: ' ', context_id, ...this.initSettings() });
    const feeding = feedPhrases(
      text,
      {
        get active() {
          return request.active;
        },
        send: (chunk) =>
          request.send({ text: `${chunk.text} `, context_id, ...(chunk.sentenceEnd ? { flush: true } : {}) }),
        end: () => {
          if (!request.active) return;
          request.send({ context_id, flush: true });
          closeContext(); // isFinal follows the last audio of the flushed text
        },
      },
      { chunking: this.opts.chunking, signal, logger: this.logger },
    );
    let elapsedMs = 0;
    try {
      for await (const msg of request.messages) {
        if (signal?.aborted) return;
        if (!msg.audio) continue;
        const data = Buffer.from(msg.audio, 'base64');
        const a = msg.alignment;
        if (a && opts.onAlignment) {
          const offset = elapsedMs;
          opts.onAlignment(
            a.chars,
            a.charStartTimesMs.map((t) => offset + t),
            a.charDurationsMs ?? a.charsDurationsMs ?? [],
          );
        }
        const timestampMs = elapsedMs;
        if (this.format.encoding === 'pcm_s16le')
          elapsedMs += (data.byteLength / 2 / this.format.rate) * 1000;
        yield { data, sampleRate: this.format.rate, channels: 1, format: this.format.encoding, timestampMs };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (request.active) onAbort(); // the consumer stopped early
      void feeding;
    }
  }

  async warmup(): Promise<void> {
    await this.socketFor(this.defaultVoice).acquire();
  }

  async close(): Promise<void> {
    for (const s of this.sockets.values()) await s.close();
    this.sockets.clear();
  }

  /** The voice is part of the URL, so each voice has its own socket. */
  private socketFor(voiceId: string): ReusableSocket<MultiplexedSocket<ElevenLabsMessage>> {
    let pool = this.sockets.get(voiceId);
    if (!pool) {
      const protocol: MultiplexProtocol<ElevenLabsMessage> = {
        provider: ELEVENLABS,
        parse: (raw) => parseProviderMessage(elevenLabsMessage, raw, this.logger),
        streamOf: (msg) => msg.contextId,
        errorOf: elevenLabsError,
        isEnd: isFinalMessage,
        closeError: elevenLabsCloseError,
      };
      pool = new ReusableSocket(
        () =>
          MultiplexedSocket.open(protocol, {
            url: this.url(voiceId),
            headers: { 'xi-api-key': this.apiKey },
            logger: this.logger,
            connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
          }),
        // The server closes idle sockets itself; replace ours a little before that.
        Number.POSITIVE_INFINITY,
      );
      this.sockets.set(voiceId, pool);
    }
    return pool;
  }

  private url(voiceId: string): string {
    const o = this.opts;
    const q = new URLSearchParams({
      model_id: o.modelId ?? 'eleven_flash_v2_5',
      output_format: o.outputFormat ?? 'pcm_24000',
    });
    if (o.languageCode) q.set('language_code', o.languageCode);
    if (o.inactivityTimeoutS) q.set('inactivity_timeout', String(o.inactivityTimeoutS));
    if (o.applyTextNormalization) q.set('apply_text_normalization', o.applyTextNormalization);
    const base = (o.baseUrl ?? 'wss://api.elevenlabs.io').replace(/\/$/, '');
    return `${base}/v1/text-to-speech/${encodeURIComponent(voiceId)}/multi-stream-input?${q}`;
  }

  private initSettings(): Record<string, unknown> {
    const v = this.opts.voiceSettings;
    const settings: Record<string, unknown> = {};
    if (v) {
      settings.voice_settings = {
        ...(v.stability !== undefined ? { stability: v.stability } : {}),
        ...(v.similarityBoost !== undefined ? { similarity_boost: v.similarityBoost } : {}),
        ...(v.style !== undefined ? { style: v.style } : {}),
        ...(v.useSpeakerBoost !== undefined ? { use_speaker_boost: v.useSpeakerBoost } : {}),
        ...(v.speed !== undefined ? { speed: v.speed } : {}),
      };
    }
    if (this.opts.chunkLengthSchedule)
      settings.generation_config = { chunk_length_schedule: this.opts.chunkLengthSchedule };
    return settings;
  }
}

function parseFormat(format: string): { rate: number; encoding: AudioEncoding } {
  const rate = Number(/^[a-z]+_(\d+)/.exec(format)?.[1]);
  if (!Number.isFinite(rate)) throw new ValidationError(`elevenlabs: unknown outputFormat ${format}`);
  const kind = format.split('_')[0];
  const encoding: AudioEncoding | undefined =
    kind === 'pcm'
      ? 'pcm_s16le'
      : kind === 'ulaw'
        ? 'mulaw'
        : kind === 'alaw'
          ? 'alaw'
          : kind === 'mp3'
            ? 'mp3'
            : kind === 'opus'
              ? 'opus'
              : undefined;
  if (!encoding) throw new ValidationError(`elevenlabs: unknown outputFormat ${format}`);
  return { rate, encoding };
}
