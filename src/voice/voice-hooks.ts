import type { TranscriptionResult, VoiceSession } from './types.js';

/** Payloads of the voice hook triggers (what a hook function receives). */
export interface TranscriptionPayload {
  session: VoiceSession;
  text: string;
  result: TranscriptionResult;
}

export interface TTSPayload {
  session: VoiceSession;
  text: string;
  voice?: string;
}

export interface BargeInPayload {
  session: VoiceSession;
  /** Milliseconds of the interrupted response the user actually heard. */
  playedMs: number;
  /** The text of the interrupted response, as far as it is known. */
  text: string;
}

export interface TurnMetrics {
  /** All relative to the moment the user stopped speaking. */
  transcriptFinalMs?: number;
  firstTokenMs?: number;
  firstTtsAudioMs?: number;
  firstFrameSentMs?: number;
}

declare module '../core/hooks/types.js' {
  interface HookPayloadMap {
    on_transcription: TranscriptionPayload;
    on_partial_transcription: TranscriptionPayload;
    before_tts: TTSPayload;
    after_tts: TTSPayload & { durationMs: number; interrupted: boolean };
    on_barge_in: BargeInPayload;
    on_tts_cancelled: BargeInPayload & { reason: string };
    on_speech_start: { session: VoiceSession };
    on_speech_end: { session: VoiceSession; durationMs: number };
    on_dtmf: { session: VoiceSession; digit: string };
    on_input_audio_level: { session: VoiceSession; levelDb: number; isSpeech: boolean };
    on_output_audio_level: { session: VoiceSession; levelDb: number; isSpeech: boolean };
    on_session_started: { session: VoiceSession };
    on_session_ended: { session: VoiceSession; reason: string };
    on_turn_complete: { session: VoiceSession; transcript: string; metrics: TurnMetrics };
  }
}
