import { ValidationError } from '../../core/errors.js';
import type { RealtimeLogger } from '../../realtime/logger.js';
import type { RealtimeCapabilities } from '../../realtime/provider.js';
import { isFunctionTool, type RealtimeSession } from '../../realtime/session.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { compact, hasOption, option } from '../shared/realtime-config-keys.js';
import type { OpenAIStyleConnection } from '../shared/openai-style-connection.js';
import { OpenAIStyleRealtimeProvider } from '../shared/openai-style-realtime-provider.js';
import type { RealtimeWireEncoding } from '../shared/realtime-wire-audio.js';

export interface OpenAIRealtimeProviderOptions {
  /** Default: `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Default: 'gpt-realtime'. */
  model?: string;
  /** Default: 'wss://api.openai.com/v1'; `${baseUrl}/realtime?model=...` is dialled. */
  baseUrl?: string;
  /** Vendor limit of one session (default 60 min); a `goAway` rollover hint precedes it. */
  sessionLimitMs?: number;
  /** How long before the limit the rollover hint fires (default 60 s). */
  rolloverLeadMs?: number;
  logger?: RealtimeLogger;
}

/**
 * `providerConfig` keys (camelCase; the seed's snake_case is accepted too):
 * - `turnDetection`: `{ type: 'server_vad', threshold, silenceDurationMs, prefixPaddingMs,
 *   idleTimeoutMs, createResponse, interruptResponse }` (default server_vad),
 *   `{ type: 'semantic_vad', eagerness: 'low'|'medium'|'high'|'auto' }`, or `null` for manual
 *   turns (then call `commitAudio`).
 * - `sttModel` / `transcriptionModel`: input transcription model (default 'gpt-4o-transcribe').
 * - `transcriptionLanguage`, `noiseReduction` ('near_field'|'far_field'), `speed`, `toolChoice`.
 * - `audioFormat`: 'pcm16' (default, 24 kHz), or 'g711_ulaw' / 'g711_alaw' (8 kHz, GA `audio/pcmu`
 *   / `audio/pcma`): a phone call's G.711 then reaches the model with no resampling (set the
 *   channel's inputSampleRate and outputSampleRate to 8000 too).
 * GA sessions have no temperature; `temperature` is not sent.
 */
export type OpenAIRealtimeProviderConfig = Record<string, unknown>;

const WIRE_RATE = 24_000; // GA PCM is 24 kHz only

const REALTIME_OPTIONS = optionNames<OpenAIRealtimeProviderOptions>({
  apiKey: true,
  model: true,
  baseUrl: true,
  sessionLimitMs: true,
  rolloverLeadMs: true,
  logger: true,
});

export class OpenAIRealtimeProvider extends OpenAIStyleRealtimeProvider {
  readonly name = 'openai';
  readonly model: string;
  readonly capabilities: RealtimeCapabilities;
  protected readonly readyEvent = 'session.created' as const;
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly sessionLimitMs: number;
  private readonly rolloverLeadMs: number;

  constructor(opts: OpenAIRealtimeProviderOptions = {}) {
    checkOptions('openai', opts, REALTIME_OPTIONS);
    super({ logger: opts.logger });
    const apiKey = opts.apiKey ?? process.env.OPENAI_API_KEY;
    if (!apiKey) throw new ValidationError('OpenAIRealtimeProvider needs apiKey or OPENAI_API_KEY');
    this.apiKey = apiKey;
    this.model = opts.model ?? 'gpt-realtime';
    this.baseUrl = (opts.baseUrl ?? 'wss://api.openai.com/v1').replace(/\/+$/, '');
    this.sessionLimitMs = opts.sessionLimitMs ?? 60 * 60_000;
    this.rolloverLeadMs = opts.rolloverLeadMs ?? 60_000;
    this.capabilities = {
      serverVad: true,
      sessionResumption: false,
      truncation: true,
      toolsAtConnect: true,
      reconfigure: 'live',
      maxSessionMs: this.sessionLimitMs,
    };
  }

  protected socketTarget(): { url: string; headers: Record<string, string> } {
    return {
      url: `${this.baseUrl}/realtime?model=${encodeURIComponent(this.model)}`,
      headers: { Authorization: `Bearer ${this.apiKey}` },
    };
  }

  protected wireRates(session: RealtimeSession): { input: number; output: number } {
    const rate = this.wireEncoding(session) === 'pcm16' ? WIRE_RATE : 8000;
    return { input: rate, output: rate };
  }

  protected override wireEncoding(session: RealtimeSession): RealtimeWireEncoding {
    return audioFormat(session.config.providerConfig);
  }

  protected buildSession(session: RealtimeSession): Record<string, unknown> {
    const { config } = session;
    const pc = config.providerConfig;
    const encoding = audioFormat(pc);
    const format =
      encoding === 'pcm16'
        ? { type: 'audio/pcm', rate: WIRE_RATE }
        : { type: encoding === 'g711_ulaw' ? 'audio/pcmu' : 'audio/pcma' };
    const transcriptionModel = option<string>(pc, 'sttModel') ?? option<string>(pc, 'transcriptionModel');
    const noiseReduction = option<string | null>(pc, 'noiseReduction');
    return compact({
      type: 'realtime',
      model: this.model,
      instructions: config.systemPrompt,
      output_modalities: ['audio'],
      audio: {
        input: compact({
          format,
          transcription: compact({
            model: transcriptionModel ?? 'gpt-4o-transcribe',
            language: option<string>(pc, 'transcriptionLanguage'),
          }),
          turn_detection: turnDetection(pc),
          noise_reduction:
            noiseReduction === undefined ? undefined : noiseReduction && { type: noiseReduction },
        }),
        output: compact({ format, voice: config.voice, speed: option<number>(pc, 'speed') }),
      },
      tools: config.tools?.map((tool) =>
        isFunctionTool(tool)
          ? { type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters }
          : tool,
      ),
      tool_choice: config.tools?.length ? (option<string>(pc, 'toolChoice') ?? 'auto') : undefined,
    });
  }

  protected override serverCancelsOnSpeech(session: RealtimeSession): boolean {
    const td = turnDetection(session.config.providerConfig);
    return td !== null && td.interrupt_response !== false;
  }

  /** The rollover hint: the caller starts a fresh session before the vendor cuts this one. */
  protected override onActive(session: RealtimeSession, conn: OpenAIStyleConnection): void {
    const timeLeftMs = Math.min(this.rolloverLeadMs, this.sessionLimitMs);
    const timer = setTimeout(() => {
      this.emit('goAway', { session, reason: 'session-limit', timeLeftMs, resumable: false });
    }, this.sessionLimitMs - timeLeftMs);
    timer.unref();
    conn.timers.push(timer);
  }
}

/** The session's audio encoding: PCM16 by default; G.711 by the GA or the beta name. */
function audioFormat(pc: Record<string, unknown> | undefined): RealtimeWireEncoding {
  const value = option<string>(pc, 'audioFormat');
  if (value === undefined || value === 'pcm16' || value === 'audio/pcm') return 'pcm16';
  if (['g711_ulaw', 'audio/pcmu', 'pcmu'].includes(value)) return 'g711_ulaw';
  if (['g711_alaw', 'audio/pcma', 'pcma'].includes(value)) return 'g711_alaw';
  throw new ValidationError(`openai: unknown audioFormat ${value} (pcm16, g711_ulaw or g711_alaw)`);
}

/** Turn detection in the GA wire shape; server_vad by default, null for manual turns. */
function turnDetection(pc: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (hasOption(pc, 'turnDetection') && option(pc, 'turnDetection') === null) return null;
  const td = option<Record<string, unknown>>(pc, 'turnDetection') ?? { type: 'server_vad' };
  const type = (td.type as string | undefined) ?? 'server_vad';
  if (type === 'semantic_vad') {
    return compact({
      type,
      eagerness: option(td, 'eagerness'),
      create_response: option(td, 'createResponse'),
      interrupt_response: option(td, 'interruptResponse'),
    });
  }
  if (type !== 'server_vad') throw new ValidationError(`openai: unknown turn detection type ${type}`);
  return compact({
    type,
    threshold: option(td, 'threshold'),
    prefix_padding_ms: option(td, 'prefixPaddingMs'),
    silence_duration_ms: option(td, 'silenceDurationMs'),
    idle_timeout_ms: option(td, 'idleTimeoutMs'),
    create_response: option(td, 'createResponse'),
    interrupt_response: option(td, 'interruptResponse'),
  });
}
