import type { RealtimeRole } from './provider.js';
import type { RealtimeVoiceSession } from './realtime-channel-types.js';

/**
 * Hook payloads the realtime channel adds. The voice triggers it shares (transcription,
 * speech, barge-in, levels, session) keep the voice payloads: a RealtimeVoiceSession is a
 * VoiceSession, and transcriptions say who spoke in `role`.
 */
export interface ToolCallPayload {
  session: RealtimeVoiceSession;
  callId: string;
  name: string;
  arguments: Record<string, unknown>;
  /** 'realtime_voice' here; AI channels may fire the same trigger. */
  channelType: string;
}

declare module '../core/hooks/types.js' {
  interface HookPayloadMap {
    /** Answer with `HookResult.allow({ metadata: { result } })`; block to refuse the call. */
    on_tool_call: ToolCallPayload;
  }
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
