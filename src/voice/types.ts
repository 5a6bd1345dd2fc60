/**
 * Voice core types (the seed's names in camelCase). Inside the framework audio is PCM s16
 * mono; anything else is converted at the edge (backend or provider).
 */

/** One frame of PCM audio as it flows through the pipeline. */
export interface AudioFrame {
  data: Int16Array;
  sampleRate: number;
  channels: number;
  timestampMs?: number;
}

export type AudioEncoding = 'pcm_s16le' | 'mulaw' | 'alaw' | 'opus' | 'mp3' | 'wav';

/** A chunk of (usually outbound TTS) audio in transit. */
export interface AudioChunk {
  data: Uint8Array;
  sampleRate: number;
  channels: number;
  format: AudioEncoding;
  timestampMs?: number;
  isFinal?: boolean;
}

export interface TranscriptionWord {
  word: string;
  startMs?: number;
  endMs?: number;
  confidence?: number;
}

export interface TranscriptionResult {
  text: string;
  isFinal: boolean;
  confidence?: number;
  language?: string;
  words?: TranscriptionWord[];
  /** Set by providers with server-side VAD when speech starts. */
  isSpeechStart?: boolean;
}

/** What a streaming STT yields, as a tagged union. */
export type STTStreamEvent =
  | { type: 'speech-start' }
  | { type: 'partial'; result: TranscriptionResult }
  | { type: 'final'; result: TranscriptionResult }
  /** The provider decided the user's turn is over (semantic VAD, utterance end...). */
  | { type: 'end-of-turn'; result?: TranscriptionResult; reason?: string }
  /** Provider VAD telemetry (e.g. Gradium's inactivity probabilities per horizon). */
  | { type: 'vad'; horizons: { horizonS: number; inactivityProb: number }[]; totalDurationS?: number };

export interface STTCapabilities {
  streaming: boolean;
  partials: boolean;
  /** Decides end of turn on its own (semantic VAD, utterance end). */
  turnDetection: boolean;
  /** The rate the provider wants; callers may send others and the provider resamples. */
  preferredSampleRate?: number;
}

export interface STTOptions {
  signal?: AbortSignal;
  language?: string;
}

export interface STTProvider {
  readonly name: string;
  readonly capabilities: STTCapabilities;
  /**
   * Batch: the whole utterance at once. `audio.data` is lent for the call: read it before the
   * returned promise settles and copy what you keep (a VoiceChannel passes its VAD's buffer,
   * which the next utterance reuses once the call is over).
   */
  transcribe(audio: AudioFrame | AudioChunk, opts?: STTOptions): Promise<TranscriptionResult>;
  /** Streaming: frames in, events out; ends when the input ends (after the last final). */
  transcribeStream(audio: AsyncIterable<AudioFrame>, opts?: STTOptions): AsyncIterable<STTStreamEvent>;
  warmup?(): Promise<void>;
  close?(): Promise<void>;
}

export interface TTSCapabilities {
  streaming: boolean;
  /** Accepts text incrementally (LLM tokens) in synthesizeStreamInput. */
  streamingInput: boolean;
  /** Rate of the PCM it produces; the pipeline resamples to the transport. */
  sampleRate: number;
}

export interface TTSOptions {
  voice?: string;
  /**
   * Aborts the synthesis (barge-in). A VoiceChannel hands a session's consecutive replies the
   * same signal until one is aborted: remove the listeners you add once the call ends (a
   * signal that still has one is not reused, so forgetting costs speed, not correctness).
   */
  signal?: AbortSignal;
  language?: string;
}

export interface TTSProvider {
  readonly name: string;
  readonly capabilities: TTSCapabilities;
  synthesize(text: string, opts?: TTSOptions): Promise<AudioChunk>;
  synthesizeStream(text: string, opts?: TTSOptions): AsyncIterable<AudioChunk>;
  /** Text arrives as a stream (LLM tokens); audio starts before the text is complete. */
  synthesizeStreamInput(text: AsyncIterable<string>, opts?: TTSOptions): AsyncIterable<AudioChunk>;
  warmup?(): Promise<void>;
  close?(): Promise<void>;
}

export const VoiceCapability = {
  NONE: 0,
  INTERRUPTION: 1 << 0,
  BARGE_IN: 1 << 1,
  NATIVE_AEC: 1 << 2,
  NATIVE_AGC: 1 << 3,
  DTMF_INBAND: 1 << 4,
  DTMF_SIGNALING: 1 << 5,
} as const;
/** A bit set of VoiceCapability flags. */
export type VoiceCapability = number;

export function hasCapability(set: VoiceCapability, flag: number): boolean {
  return (set & flag) === flag;
}

export const VoiceSessionState = {
  CONNECTING: 'connecting',
  ACTIVE: 'active',
  PAUSED: 'paused',
  ENDED: 'ended',
} as const;
export type VoiceSessionState = (typeof VoiceSessionState)[keyof typeof VoiceSessionState];

export interface VoiceSession {
  id: string;
  roomId: string;
  participantId: string;
  channelId: string;
  state: VoiceSessionState;
  providerSessionId?: string;
  createdAt: string;
  metadata: Record<string, unknown>;
}

/** Who is speaking, from a diarizing transport or pipeline stage (the seed's DiarizationResult). */
export interface DiarizationResult {
  speakerId: string;
  /** 0..1 */
  confidence: number;
  /** First time this speaker is heard on the session. */
  isNewSpeaker: boolean;
}

/**
 * One protocol step of a transport, for observers (debugging, audit): a SIP INVITE, a BYE,
 * a WebSocket opening. `raw` is the wire message when the transport has one.
 */
export interface ProtocolTrace {
  protocol: string;
  direction: 'inbound' | 'outbound';
  summary: string;
  raw?: string;
  sessionId?: string;
  roomId?: string;
  /** The channel observing (filled in by the channel). */
  channelId?: string;
  metadata?: Record<string, unknown>;
  /** ISO time of the step. */
  timestamp: string;
}
