import type {
  ClearEvent,
  LevelEvent,
  NoticeEvent,
  SpeakingEvent,
  TranscriptEvent,
  VoiceTransport,
} from './types.js';

/** What every voice transport is given. */
export interface VoiceLinkOptions {
  /** The endpoint: https://host/rtc for WebRTC signalling, wss://host/voice for the WebSocket. */
  url: string;
  token?: string;
  roomId: string;
  metadata?: Record<string, unknown>;
  microphone: MediaStream;
  /** Connected and `ready` within this (default 10 s). */
  connectTimeoutMs?: number;
}

/** What a voice transport tells the call it belongs to. */
export interface VoiceLinkEvents {
  onTranscript(event: TranscriptEvent): void;
  onSpeaking(event: SpeakingEvent): void;
  onClear(event: ClearEvent): void;
  onNotice(event: NoticeEvent): void;
  onEnded(reason: string): void;
}

/** One way of carrying a call's audio (WebRTC, or the WebSocket fallback). */
export interface VoiceLink {
  readonly transport: VoiceTransport;
  /** Set once the server said ready. */
  readonly sessionId?: string;
  /** Resolves when the server is ready for audio; rejects when this transport cannot connect. */
  start(): Promise<void>;
  levels(): LevelEvent;
  setMuted(muted: boolean): void;
  stop(reason?: string): void;
}
