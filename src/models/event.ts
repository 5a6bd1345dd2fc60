import type { EventContent } from './content.js';
import type { ChannelType, EventStatus, EventType } from './enums.js';

export interface EventSource {
  channelId: string;
  channelType: ChannelType;
  participantId?: string;
}

/**
 * Who may read an event: every channel, no channel, one category, or a list of channel ids.
 * A comma-separated string of ids is accepted for compatibility with the seed.
 */
export type Visibility = 'all' | 'none' | 'transport' | 'intelligence' | readonly string[] | (string & {});

/** One entry of a room's timeline. Immutable once committed. */
export interface RoomEvent {
  id: string;
  roomId: string;
  type: EventType;
  source: EventSource;
  content: EventContent;
  status: EventStatus;
  blockedBy?: string;
  /** Position in the room's timeline: 0, 1, 2, ... with no gaps. */
  index: number;
  /** 0 for a human/external message; each AI reply to it adds one. */
  chainDepth: number;
  idempotencyKey?: string;
  visibility: Visibility;
  /** ISO 8601. */
  createdAt: string;
  metadata: Record<string, unknown>;
  /** For injected events: the only channels that receive it. */
  targetChannelIds?: readonly string[];
  /** The event this one answers (AI replies, injected events). */
  responseTo?: string;
}
