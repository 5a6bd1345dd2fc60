/**
 * What every carrier's media WebSocket says, in one shape. Each carrier's protocol file
 * turns its messages into these events and renders ours (media, mark, clear) in its dialect;
 * the shared core does everything else.
 */
import { RoomKitError } from '../../../core/errors.js';
import type { WireFormat } from './wire-audio.js';

export type StreamEvent =
  /** The socket is open (Twilio's `connected`); nothing to do yet. */
  | { type: 'connected' }
  /** The stream starts: ids, custom parameters, the audio format when the carrier says it. */
  | {
      type: 'start';
      streamId?: string;
      /** The carrier's id of the call (CallSid, call_control_id, CallUUID...). */
      callId?: string;
      /** Caller and callee, for carriers whose start carries them (Exotel). */
      from?: string;
      to?: string;
      customParameters: Record<string, string>;
      format?: Partial<Pick<WireFormat, 'encoding' | 'sampleRate'>>;
    }
  /** Caller audio, in wire bytes. */
  | { type: 'media'; payload: Uint8Array }
  | { type: 'dtmf'; digit: string; durationMs?: number }
  /** Audio sent before the named mark has been played. */
  | { type: 'mark'; name: string }
  /** The carrier confirmed a clear (Plivo `clearedAudio`, Vonage `websocket:cleared`). */
  | { type: 'cleared' }
  /** The stream ended (the call hung up, or the stream was stopped). */
  | { type: 'stop'; reason?: string }
  | { type: 'error'; message: string }
  /** A message with nothing for us (keep-alives, events we do not use). */
  | { type: 'ignored'; event?: string };

/** What the protocol knows about the stream when rendering outbound messages. */
export interface StreamContext {
  streamId?: string;
  format: WireFormat;
}

/** One outbound message: JSON text, or a binary frame (Vonage audio). */
export type StreamMessage = string | Buffer;

export interface StreamProtocol {
  /** Parse one socket message; throws a StreamProtocolError on one that breaks the protocol. */
  parse(data: Buffer, isBinary: boolean): StreamEvent;
  /** Caller-bound audio (wire bytes of one frame). */
  media(ctx: StreamContext, wire: Uint8Array): StreamMessage;
  /** A playback mark, echoed back once everything sent before it was played. */
  mark(ctx: StreamContext, name: string): StreamMessage;
  /** Drop what the carrier buffered (barge-in). */
  clear(ctx: StreamContext): StreamMessage;
}

/** Parse a JSON text message into an object, or fail with a typed error. */
export function parseJsonMessage(data: Buffer, carrier: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new StreamProtocolError(carrier, 'message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StreamProtocolError(carrier, 'message is not a JSON object');
  return value as Record<string, unknown>;
}

/** A carrier sent something its media-stream protocol does not allow (logged, then ignored). */
export class StreamProtocolError extends RoomKitError {
  constructor(carrier: string, detail: string) {
    super(`${carrier} media stream: ${detail}`, { code: 'media_stream_protocol' });
  }
}

/** A message checked against its schema, or a typed error naming the carrier and the event. */
export function validMessage<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  msg: Record<string, unknown>,
  carrier: string,
): T {
  const parsed = schema.safeParse(msg);
  if (!parsed.success) throw new StreamProtocolError(carrier, `invalid ${String(msg.event)} message`);
  return parsed.data;
}
