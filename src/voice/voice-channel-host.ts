import type { VoiceBackend } from './backends/voice-backend.js';
import type { TurnMetrics } from './voice-hooks.js';
import type { VoiceSessionRuntime } from './voice-session-runtime.js';
import type { TTSProvider, VoiceSession } from './types.js';

/** What a session runtime needs from its channel (hooks, providers, reporting). */
export interface VoiceChannelHost {
  readonly backend: VoiceBackend;
  readonly tts: TTSProvider;
  readonly voice?: string;
  /** BEFORE_TTS (fail-closed): the text to speak, or undefined when blocked. */
  beforeTts(session: VoiceSession, text: string): Promise<string | undefined>;
  afterTts(session: VoiceSession, text: string, playedMs: number, interrupted: boolean): void;
  metric(rt: VoiceSessionRuntime, name: keyof TurnMetrics): void;
  turnComplete(rt: VoiceSessionRuntime): void;
  reportError(session: VoiceSession, stage: string, error: unknown): void;
}
