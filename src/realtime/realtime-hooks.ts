import type { ToolCallHookPayload } from '../ai/tool-call.js';
import type { RealtimeRole } from './provider.js';
import type { RealtimeVoiceSession } from './realtime-channel-types.js';

/**
 * Hook payloads the realtime channel adds. The voice triggers it shares (transcription,
 * speech, barge-in, levels, session) keep the voice payloads: a RealtimeVoiceSession is a
 * VoiceSession, and transcriptions say who spoke in `role`.
 */

/**
 * ON_TOOL_CALL's payload as a realtime channel fires it: always with its session. The trigger
 * itself (declared in core, shared with AIChannel) carries the common ToolCallHookPayload.
 */
export interface ToolCallPayload extends ToolCallHookPayload {
  session: RealtimeVoiceSession;
}

declare module '../voice/voice-hooks.js' {
  interface TranscriptionPayload {
    /** Realtime channels transcribe both sides; the cascaded voice channel only the user. */
    role?: RealtimeRole;
  }
  interface PartialTranscriptionEvent {
    /** Who is speaking (realtime channels transcribe both sides). */
    role?: RealtimeRole;
  }
}
