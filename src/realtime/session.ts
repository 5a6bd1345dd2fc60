import type { AIToolDefinition } from '../ai/types.js';

/**
 * A tool the realtime model may use: a function tool (the common `AIToolDefinition`), or a
 * vendor-native tool passed through untouched (xAI's `{ type: 'web_search' }`, ...).
 */
export type RealtimeToolDefinition = AIToolDefinition | RealtimeNativeTool;

export interface RealtimeNativeTool {
  type: string;
  [key: string]: unknown;
}

export function isFunctionTool(tool: RealtimeToolDefinition): tool is AIToolDefinition {
  return !('type' in tool) || tool.type === 'function';
}

/** What a session is opened with. Rates are those of the PCM the caller sends and wants back. */
export interface RealtimeSessionConfig {
  systemPrompt?: string;
  voice?: string;
  tools?: RealtimeToolDefinition[];
  temperature?: number;
  /** Rate of the PCM passed to `sendAudio` (default 16000). The provider converts as needed. */
  inputSampleRate?: number;
  /** Rate of the PCM in `audio` events (default 24000). */
  outputSampleRate?: number;
  /** Vendor options (turn detection, transcription model, ...), documented per provider. */
  providerConfig?: Record<string, unknown>;
}

/** The part of a session a running conversation may change. */
export interface RealtimeReconfigureOptions {
  systemPrompt?: string;
  voice?: string;
  tools?: RealtimeToolDefinition[];
  temperature?: number;
  providerConfig?: Record<string, unknown>;
}

export const DEFAULT_INPUT_SAMPLE_RATE = 16_000;
export const DEFAULT_OUTPUT_SAMPLE_RATE = 24_000;

export type RealtimeSessionState = 'connecting' | 'active' | 'ended';

/** Why a session ended, as a caller would branch on it. */
export type RealtimeEndReason =
  /** `disconnect()` was called. */
  | 'client-disconnect'
  /** The provider closed normally (an agent hang-up, for instance). */
  | 'server-closed'
  /** The socket dropped without a close handshake. */
  | 'connection-lost'
  /** The provider hit its maximum session length. */
  | 'session-limit'
  /** The provider refused the credentials. */
  | 'auth-failed'
  /** A fatal provider error (close code, error event). */
  | 'provider-error';

export interface RealtimeSession {
  readonly id: string;
  /** Provider name, e.g. 'openai'. */
  readonly provider: string;
  state: RealtimeSessionState;
  /** The vendor's id for the conversation, when it gives one. */
  providerSessionId?: string;
  /** Effective configuration (rates resolved); updated by `reconfigure`. */
  config: RealtimeSessionConfig & { inputSampleRate: number; outputSampleRate: number };
  /** Epoch ms when the session became active. */
  startedAt?: number;
  endReason?: RealtimeEndReason;
}

let counter = 0;

export function createRealtimeSession(provider: string, config: RealtimeSessionConfig): RealtimeSession {
  counter += 1;
  return {
    id: `rt-${provider}-${Date.now().toString(36)}-${counter}`,
    provider,
    state: 'connecting',
    config: {
      ...config,
      inputSampleRate: config.inputSampleRate ?? DEFAULT_INPUT_SAMPLE_RATE,
      outputSampleRate: config.outputSampleRate ?? DEFAULT_OUTPUT_SAMPLE_RATE,
    },
  };
}
