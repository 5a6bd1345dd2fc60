import { ValidationError } from '../../core/errors.js';
import type { RealtimeLogger } from '../../realtime/logger.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';

export interface ElevenLabsRealtimeConfigOptions {
  /** Default: `ELEVENLABS_API_KEY`. Not needed for public agents. */
  apiKey?: string;
  /** Default: `ELEVENLABS_AGENT_ID`. */
  agentId?: string;
  /** Private agent: fetch a signed URL with the key first (default false: key sent as `xi-api-key`). */
  requiresAuth?: boolean;
  /** Socket host, default 'wss://api.elevenlabs.io' (EU: 'wss://api.eu.residency.elevenlabs.io'). */
  baseUrl?: string;
  /** REST host for signed URLs; default: `baseUrl` with http(s). */
  apiBaseUrl?: string;
  logger?: RealtimeLogger;
}

export interface ElevenLabsRealtimeConfig {
  apiKey?: string;
  agentId: string;
  requiresAuth: boolean;
  baseUrl: string;
  apiBaseUrl: string;
  logger?: RealtimeLogger;
}

const OPTIONS = optionNames<ElevenLabsRealtimeConfigOptions>({
  apiKey: true,
  agentId: true,
  requiresAuth: true,
  baseUrl: true,
  apiBaseUrl: true,
  logger: true,
});

/**
 * The seed's `ElevenLabsRealtimeConfig(...)`: options with defaults resolved. The provider
 * accepts its result or the plain options alike.
 */
export function ElevenLabsRealtimeConfig(
  opts: ElevenLabsRealtimeConfigOptions = {},
): ElevenLabsRealtimeConfig {
  checkOptions('elevenlabs', opts, OPTIONS);
  const apiKey = opts.apiKey ?? process.env.ELEVENLABS_API_KEY;
  const agentId = opts.agentId ?? process.env.ELEVENLABS_AGENT_ID;
  if (!agentId) throw new ValidationError('ElevenLabsRealtimeProvider needs agentId or ELEVENLABS_AGENT_ID');
  const requiresAuth = opts.requiresAuth ?? false;
  if (requiresAuth && !apiKey)
    throw new ValidationError('ElevenLabs signed-URL mode needs apiKey or ELEVENLABS_API_KEY');
  const baseUrl = (opts.baseUrl ?? 'wss://api.elevenlabs.io').replace(/\/+$/, '');
  return {
    apiKey,
    agentId,
    requiresAuth,
    baseUrl,
    apiBaseUrl: (opts.apiBaseUrl ?? baseUrl.replace(/^ws/, 'http')).replace(/\/+$/, ''),
    logger: opts.logger,
  };
}

/** 'pcm_16000' / 'ulaw_8000' -> encoding and rate. */
export function parseAudioFormat(format: string): { encoding: 'pcm' | 'ulaw'; rate: number } {
  const match = /^(pcm|ulaw)_(\d+)$/.exec(format);
  if (!match) throw new ValidationError(`elevenlabs: unsupported audio format ${format}`);
  return { encoding: match[1] as 'pcm' | 'ulaw', rate: Number(match[2]) };
}
