import type { RoomEvent } from '../../models/index.js';
import type { EphemeralEvent } from '../ephemeral.js';

/** Live text of a streamed reply, as channels receive it (`deliverStreamDelta`). */
export interface StreamDelta {
  roomId: string;
  streamId: string;
  text: string;
  done: boolean;
  sourceChannelId: string;
}

/**
 * What processes of a cluster tell each other on a room's topic. `o` is the sending process, so
 * a process ignores its own messages. Only `e` carries history, and history is in the store: a
 * lost `e` is read back by index; the others are live-only.
 */
export type ClusterMessage =
  /** An event was committed. */
  | { t: 'e'; o: string; e: RoomEvent }
  /** Typing, presence, a read receipt, a notice. */
  | { t: 'x'; o: string; x: EphemeralEvent }
  /** A piece of a streamed reply. */
  | { t: 'd'; o: string; d: StreamDelta }
  /** The room record or its bindings changed: read them again. */
  | { t: 'c'; o: string }
  /** The room's owner let it go (shutting down): take it over now. */
  | { t: 'r'; o: string }
  /** The room's last index is `i` (sent after a reconnect): read anything missed. */
  | { t: 'h'; o: string; i: number };

export function roomTopic(roomId: string): string {
  return `room:${roomId}`;
}

export function encodeMessage(message: ClusterMessage): string {
  return JSON.stringify(message);
}

/** A message from the wire, or undefined when it is not one of ours (ignored, never thrown). */
export function decodeMessage(raw: string): ClusterMessage | undefined {
  let m: Partial<ClusterMessage> & Record<string, unknown>;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object' || typeof m.o !== 'string') return undefined;
  switch (m.t) {
    case 'e':
      return isObject(m.e) && Number.isSafeInteger((m.e as RoomEvent).index)
        ? (m as ClusterMessage)
        : undefined;
    case 'x':
      return isObject(m.x) && typeof (m.x as EphemeralEvent).roomId === 'string'
        ? (m as ClusterMessage)
        : undefined;
    case 'd':
      return isObject(m.d) && typeof (m.d as StreamDelta).streamId === 'string'
        ? (m as ClusterMessage)
        : undefined;
    case 'c':
    case 'r':
      return m as ClusterMessage;
    case 'h':
      return Number.isSafeInteger(m.i) ? (m as ClusterMessage) : undefined;
    default:
      return undefined;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
