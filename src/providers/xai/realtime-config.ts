import { ValidationError } from '../../core/errors.js';
import type { RealtimeLogger } from '../../realtime/logger.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';

export interface XAIRealtimeConfigOptions {
  /** Default: `XAI_API_KEY`. */
  apiKey?: string;
  /** Default: `XAI_MODEL` or 'grok-voice-think-fast-1.0'. */
  model?: string;
  /** Voice used when a session names none. Default: `XAI_VOICE` or 'Eve'. */
  voice?: string;
  /** Input transcription model; default: the server's own. */
  transcriptionModel?: string;
  /** Default: 'wss://api.x.ai/v1'; `${baseUrl}/realtime?model=...` is dialled. */
  baseUrl?: string;
  logger?: RealtimeLogger;
}

export interface XAIRealtimeConfig
  extends Required<Omit<XAIRealtimeConfigOptions, 'transcriptionModel' | 'logger'>> {
  transcriptionModel?: string;
  logger?: RealtimeLogger;
}

const OPTIONS = optionNames<XAIRealtimeConfigOptions>({
  apiKey: true,
  model: true,
  voice: true,
  transcriptionModel: true,
  baseUrl: true,
  logger: true,
});

/** The seed's `XAIRealtimeConfig(...)`: options with their defaults resolved (env vars read now). */
export function XAIRealtimeConfig(opts: XAIRealtimeConfigOptions = {}): XAIRealtimeConfig {
  checkOptions('xai', opts, OPTIONS);
  const apiKey = opts.apiKey ?? process.env.XAI_API_KEY;
  if (!apiKey) throw new ValidationError('XAIRealtimeProvider needs apiKey or XAI_API_KEY');
  return {
    apiKey,
    model: opts.model ?? process.env.XAI_MODEL ?? 'grok-voice-think-fast-1.0',
    voice: opts.voice ?? process.env.XAI_VOICE ?? 'Eve',
    transcriptionModel: opts.transcriptionModel,
    baseUrl: (opts.baseUrl ?? 'wss://api.x.ai/v1').replace(/\/+$/, ''),
    logger: opts.logger,
  };
}
