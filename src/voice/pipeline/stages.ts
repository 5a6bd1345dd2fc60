import type { AudioFrame, DiarizationResult, VoiceCapability } from '../types.js';

/**
 * Stage contracts. What you configure on a pipeline is a *provider* (a factory holding
 * options); the pipeline asks it for one *stage* per session, so no state is ever shared
 * between two calls.
 *
 * Rules every stage follows:
 * - it never writes into its input frame (a stage that throws must leave the frame as it was);
 * - it may return the input frame itself, or a frame whose buffer it reuses on its next call;
 * - frames it sees are mono at the session's internal rate (`StageContext.sampleRate`).
 */

export interface StageContext {
  sessionId: string;
  /** Rate of every frame the stage sees (the pipeline's internal rate). */
  sampleRate: number;
  /** What the transport already does itself (NATIVE_AEC, NATIVE_AGC...). */
  capabilities: VoiceCapability;
}

/** Builds the per-session instance of a stage. */
export interface StageProvider<TStage> {
  readonly name: string;
  createStage(ctx: StageContext): TStage | Promise<TStage>;
}

/** A stage that transforms audio (AEC, AGC, denoiser, post-processor). */
export interface FrameStage {
  process(frame: AudioFrame): AudioFrame;
  /**
   * The stage never writes into the frame it is given (it returns its own buffer). The
   * pipeline then skips the copy it otherwise keeps to undo a stage that wrote and threw.
   */
  readonly preservesInput?: boolean;
  /** Forgets what it has learnt (a new, unrelated stream follows). */
  reset?(): void;
  close?(): void;
}

export const VADEventType = {
  SPEECH_START: 'speech_start',
  SPEECH_END: 'speech_end',
} as const;
export type VADEventType = (typeof VADEventType)[keyof typeof VADEventType];

export interface VADEvent {
  type: VADEventType;
  /** On SPEECH_END: the whole utterance, pre-roll included (owned by the receiver). */
  audio?: Int16Array;
  /** On SPEECH_END: how long `audio` plays. */
  durationMs?: number;
  /** On SPEECH_END by silence: how long the silence that ended it lasted (absent when cut at the length limit). */
  silenceMs?: number;
  /** Share of the analysed sub-frames judged as speech, when the detector knows it. */
  confidence?: number;
}

export interface VADStage {
  /** Returns an event on a state change, null otherwise (the common, allocation-free case). */
  process(frame: AudioFrame): VADEvent | null;
  readonly isSpeaking: boolean;
  reset?(): void;
  close?(): void;
}

/**
 * Echo cancellation. The pipeline lines the reference up with the microphone itself (see
 * `src/voice/echo/echo-guard.ts`): before each `process(mic)` it calls `feedReference` with
 * exactly as many samples, the ones that were playing when the echo in `mic` left the
 * speaker. A stage may also be driven by hand the same way (one reference frame per frame).
 */
export interface AECStage extends FrameStage {
  feedReference(frame: AudioFrame): void;
  /** Longest echo (after alignment) the filter models; the pipeline aligns to fit it. */
  readonly filterLengthMs?: number;
  /**
   * For a stage that suppresses residual echo after a linear filter: the last processed
   * frame before that suppression. Double talk is judged on it (a suppressor needs a moment
   * to notice the caller and would hide their first syllable).
   */
  readonly linearOutput?: AudioFrame;
  /** Drops reference audio that will now never be played (barge-in). */
  clearReference?(): void;
}

export const DTMF_DIGITS = [
  '1',
  '2',
  '3',
  'A',
  '4',
  '5',
  '6',
  'B',
  '7',
  '8',
  '9',
  'C',
  '*',
  '0',
  '#',
  'D',
] as const;
export type DTMFDigit = (typeof DTMF_DIGITS)[number];

export interface DTMFEvent {
  digit: DTMFDigit;
}

export interface DTMFStage {
  /** Returns a digit once per key press (a held tone is one digit). */
  process(frame: AudioFrame): DTMFEvent | null;
  reset?(): void;
  close?(): void;
}

/**
 * Who is speaking. Sees every inbound frame after the VAD (`isSpeech` is the VAD's state
 * when the pipeline has one) and returns a result when the speaker changes, including the
 * first speaker heard; null otherwise.
 */
export interface DiarizationStage {
  process(frame: AudioFrame, isSpeech?: boolean): DiarizationResult | null;
  /** The speaker talking now (or last), once one has been identified. */
  readonly currentSpeaker: string | undefined;
  reset?(): void;
  close?(): void;
}

export const RecordingMode = {
  INBOUND_ONLY: 'inbound_only',
  OUTBOUND_ONLY: 'outbound_only',
  BOTH: 'both',
} as const;
export type RecordingMode = (typeof RecordingMode)[keyof typeof RecordingMode];

export const RecordingChannelMode = {
  /** Inbound and outbound summed into one channel. */
  MIXED: 'mixed',
  /** Inbound on the left, outbound on the right. */
  STEREO: 'stereo',
} as const;
export type RecordingChannelMode = (typeof RecordingChannelMode)[keyof typeof RecordingChannelMode];

export interface RecordingResult {
  sessionId: string;
  path: string;
  durationSeconds: number;
  sampleRate: number;
  channels: number;
  sizeBytes: number;
  mode: RecordingMode;
}

export interface RecorderStage {
  tapInbound(frame: AudioFrame): void;
  tapOutbound(frame: AudioFrame): void;
  /** Drops outbound audio that will now never be played (barge-in). */
  clearOutbound?(): void;
  /** Finishes the file; safe to call twice. */
  close(): RecordingResult;
}

export type VADProvider = StageProvider<VADStage>;
export type AECProvider = StageProvider<AECStage>;
export type AGCProvider = StageProvider<FrameStage>;
export type DenoiserProvider = StageProvider<FrameStage>;
export type DTMFDetector = StageProvider<DTMFStage>;
export type AudioRecorder = StageProvider<RecorderStage>;
export type AudioPostProcessor = StageProvider<FrameStage>;
export type DiarizationProvider = StageProvider<DiarizationStage>;
