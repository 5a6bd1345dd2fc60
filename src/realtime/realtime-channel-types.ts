import type { Tool, ToolContext } from '../ai/tool.js';
import { RoomKitError } from '../core/errors.js';
import type { VoiceBackend } from '../voice/backends/voice-backend.js';
import type { EchoGuardOptions } from '../voice/echo/echo-guard.js';
import type { PacerClock } from '../voice/pacer.js';
import type { AECProvider } from '../voice/pipeline/stages.js';
import type { VoiceSession } from '../voice/types.js';
import type { RealtimeVoiceProvider } from './provider.js';
import type { RealtimeSession, RealtimeSessionState, RealtimeToolDefinition } from './session.js';

/** What a toolHandler (and a realtime Tool's handler) learns about the call besides its arguments. */
export interface RealtimeToolContext extends ToolContext {
  /** The caller's session on the realtime channel. */
  session: RealtimeVoiceSession;
  roomId: string;
  callId: string;
}

/**
 * Runs a tool call the model made, as the seed writes it: `async (name, args) => string`
 * (anything else is JSON-encoded). The third argument says which session and call it is, for
 * handlers that need it. For MCP, auditing, vendor-dashboard tools or custom dispatch.
 */
export type RealtimeToolHandler = (
  name: string,
  args: Record<string, unknown>,
  context: RealtimeToolContext,
) => Promise<unknown> | unknown;

/** A tool the channel offers: a `Tool` (definition sent, handler run here) or a bare definition. */
export type RealtimeChannelTool = Tool | RealtimeToolDefinition;

export interface RealtimeVoiceChannelOptions {
  provider: RealtimeVoiceProvider;
  /** Carries the caller's audio (the seed's realtime transport): any VoiceBackend. */
  transport: VoiceBackend;
  systemPrompt?: string;
  voice?: string;
  tools?: RealtimeChannelTool[];
  temperature?: number;
  /** Rate of the audio sent to the provider (default 16000). */
  inputSampleRate?: number;
  /** Rate of the audio the provider sends back (default 24000). */
  outputSampleRate?: number;
  /** The transport's rate (default: what the transport reports per session); resampled when it differs. */
  transportSampleRate?: number;
  /** Final transcripts become room events, so text channels see the call (default true). */
  emitTranscriptionEvents?: boolean;
  /** Runs tool calls no ON_TOOL_CALL hook answered and no `Tool` handles (see realtime-tools.ts). */
  toolHandler?: RealtimeToolHandler;
  /** Mute the transport's input while a tool runs (default false; Gemini drops results otherwise). */
  muteOnToolCall?: boolean;
  /** Longer tool results are cut to this many characters (default 16384). */
  toolResultMaxLength?: number;
  /** Vendor options (turn detection, transcription model...), per session overridable. */
  providerConfig?: Record<string, unknown>;
  /** participantId of the model's transcript events (default 'assistant'). */
  assistantParticipantId?: string;
  /** Outbound pacing (frame 20 ms, lead 60 ms); a clock makes playback positions testable. */
  pacer?: { frameMs?: number; leadMs?: number; clock?: PacerClock };
  /**
   * Echo cancellation, for callers who may hear the model on a speaker: the model's audio is
   * the reference (fed as it is played), and while it plays only input that rises clearly
   * above its echo is forwarded (echo alone goes as near-silence), so the provider's VAD
   * does not take the model's own voice for the caller and cut it off. Skipped when the
   * transport declares NATIVE_AEC. E.g. `new SpeexAECProvider()` from `roomkit/voice`.
   */
  aec?: AECProvider;
  /** How the echo path is tracked and double talk judged (see `EchoGuardOptions`). */
  echo?: EchoGuardOptions;
  /** Roll a session over this long before the provider's `maxSessionMs` (default 30 s). */
  rolloverLeadMs?: number;
  /** How much of the conversation a new provider session inherits in its prompt (default 4000 chars). */
  carryOverChars?: number;
}

export interface StartRealtimeSessionOptions {
  /** Transport-specific connection handle, bound with `transport.accept`. */
  connection?: unknown;
  metadata?: Record<string, unknown>;
  systemPrompt?: string;
  voice?: string;
  providerConfig?: Record<string, unknown>;
}

export interface ReconfigureRealtimeSessionOptions {
  systemPrompt?: string;
  voice?: string;
  tools?: RealtimeChannelTool[];
  temperature?: number;
  providerConfig?: Record<string, unknown>;
}

/**
 * A caller on a realtime channel. It is a VoiceSession (same id as the transport's session,
 * `channelId` of the realtime channel), so the voice hook payloads and `kit.disconnectVoice`
 * take it as they are. connecting -> active -> ended; ended is terminal.
 */
export interface RealtimeVoiceSession extends VoiceSession {
  state: RealtimeSessionState;
  /** The transport's own session object. */
  readonly transportSession: VoiceSession;
  /** The current provider session (replaced on rollover). */
  providerSession?: RealtimeSession;
  /** Why it ended, once it did. */
  endReason?: string;
  error?: RoomKitError;
}

/** Opening a realtime session failed; nothing of it is left open. `cause` says why. */
export class RealtimeConnectError extends RoomKitError {
  constructor(
    readonly stage: 'transport' | 'provider' | 'cancelled',
    message: string,
    cause?: unknown,
  ) {
    super(`realtime session failed to start (${stage}): ${message}`, {
      code: 'realtime_connect_failed',
      retryable: cause instanceof RoomKitError ? cause.retryable : stage !== 'cancelled',
      cause,
    });
  }
}
