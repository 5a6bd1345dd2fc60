/** What the client library emits. Room events are the server's JSON, typed loosely here. */

export interface RoomEventJson {
  id: string;
  roomId: string;
  index: number;
  type: string;
  status: string;
  source: { channelId: string; channelType: string; participantId?: string };
  content: { type: string; body?: string; plainText?: string; [key: string]: unknown };
  createdAt: string;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TranscriptEvent {
  text: string;
  role: 'user' | 'assistant';
  final: boolean;
}

export interface SpeakingEvent {
  speaking: boolean;
  who: 'assistant' | 'user';
}

/** Signal levels in dBFS (-100 is silence): what the microphone captures and what the page plays. */
export interface LevelEvent {
  input: number;
  output: number;
}

/** Something the user may want to know (a fallback, a refusal, a server error frame). */
export interface NoticeEvent {
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
}

export type TextState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type VoiceState = 'off' | 'connecting' | 'connected' | 'ended';
export type VoiceTransport = 'webrtc' | 'websocket';

/** Playback was flushed (barge-in). `at` is the page's clock (performance.timeOrigin + now). */
export interface ClearEvent {
  at: number;
}

export interface VoiceCallEvents extends Record<string, unknown> {
  state: { state: VoiceState; transport?: VoiceTransport; sessionId?: string; reason?: string };
  transcript: TranscriptEvent;
  speaking: SpeakingEvent;
  level: LevelEvent;
  notice: NoticeEvent;
  clear: ClearEvent;
}

export interface RoomClientEvents extends VoiceCallEvents {
  /** A room event: a message, a transcript that became a message, a system notice... */
  message: RoomEventJson;
  /** An AI reply as it streams (text so far arrives in pieces; `done` ends it). */
  stream: { roomId: string; streamId: string; text: string; done: boolean };
  /** Typing, presence and other ephemeral events. */
  ephemeral: Record<string, unknown>;
  connection: { state: TextState };
}

/** The page's clock in epoch milliseconds, comparable with a server on the same machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
