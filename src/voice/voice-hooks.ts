import type { RecordingResult } from './pipeline/stages.js';
import type { DiarizationResult, TranscriptionResult, VoiceSession } from './types.js';

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

/*
 * The seed's voice events, camelCased. `timestamp` is the ISO time the event was detected.
 */

/** The user started speaking while the assistant's audio played (ON_BARGE_IN). */
export interface BargeInEvent {
  session: VoiceSession;
  /** The text of the interrupted response, as far as it is known. */
  interruptedText: string;
  /** How far into the response's audio the user heard, in milliseconds. */
  audioPositionMs: number;
  timestamp: string;
}

/** Why spoken output stopped early. */
export type TTSCancelReason = 'barge_in' | 'explicit' | 'disconnect' | 'error';

/** Speech output stopped before its end (ON_TTS_CANCELLED). */
export interface TTSCancelledEvent {
  session: VoiceSession;
  reason: TTSCancelReason;
  /** The text being spoken. */
  text: string;
  /** How far into playback, in milliseconds (0 if it had not started). */
  audioPositionMs: number;
  timestamp: string;
}

/** An interim transcript while the user speaks (ON_PARTIAL_TRANSCRIPTION). */
export interface PartialTranscriptionEvent {
  session: VoiceSession;
  /** The transcript so far (later events may change it). */
  text: string;
  /** 0..1; 0 when the provider gives none. */
  confidence: number;
  /** The provider says this part will not change. */
  isStable: boolean;
  timestamp: string;
  /** The provider's result as it came. */
  result: TranscriptionResult;
}

/** The VAD heard silence after speech (ON_VAD_SILENCE). */
export interface VADSilenceEvent {
  session: VoiceSession;
  silenceDurationMs: number;
  timestamp: string;
}

/** A periodic level reading, about ten a second (ON_INPUT_AUDIO_LEVEL / ON_OUTPUT_AUDIO_LEVEL). */
export interface VADAudioLevelEvent {
  session: VoiceSession;
  /** dBFS, about -90 (silence) to 0 (full scale). */
  levelDb: number;
  /** Inbound: the VAD's verdict; outbound: above near-silence. */
  isSpeech: boolean;
  timestamp: string;
}

/** A session's recorder started (ON_RECORDING_STARTED). */
export interface RecordingStartedEvent {
  session: VoiceSession;
  /** The recorder's name, e.g. 'wav-recorder'. */
  recorder: string;
  timestamp: string;
}

/** A session's recording is finished and on disk (ON_RECORDING_STOPPED). */
export interface RecordingStoppedEvent {
  session: VoiceSession;
  recording: RecordingResult;
  timestamp: string;
}

/**
 * Something failed on a voice or realtime session (ON_ERROR): a provider, the transport, a
 * pipeline stage. The session goes on unless a `session_ended` follows.
 */
export interface VoiceErrorEvent {
  session: VoiceSession;
  channelId: string;
  /** Where: 'stt', 'tts', 'send', 'provider', a pipeline stage name... */
  stage: string;
  error: unknown;
  message: string;
  /** The RoomKitError code, when the error has one. */
  code?: string;
  timestamp: string;
}

/** Another person started talking on a session (the `speaker_change` framework event). */
export interface SpeakerChangeEvent {
  session: VoiceSession;
  channelId: string;
  result: DiarizationResult;
  timestamp: string;
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
    on_partial_transcription: PartialTranscriptionEvent;
    before_tts: TTSPayload;
    after_tts: TTSPayload & { durationMs: number; interrupted: boolean };
    on_barge_in: BargeInEvent;
    on_tts_cancelled: TTSCancelledEvent;
    on_speech_start: { session: VoiceSession };
    on_speech_end: { session: VoiceSession; durationMs: number };
    on_dtmf: { session: VoiceSession; digit: string };
    on_input_audio_level: VADAudioLevelEvent;
    on_output_audio_level: VADAudioLevelEvent;
    on_vad_silence: VADSilenceEvent;
    on_recording_started: RecordingStartedEvent;
    on_recording_stopped: RecordingStoppedEvent;
    on_session_started: { session: VoiceSession };
    on_session_ended: { session: VoiceSession; reason: string };
    on_turn_complete: { session: VoiceSession; transcript: string; metrics: TurnMetrics };
  }
}
