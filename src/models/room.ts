import type { Access, ChannelCategory, ChannelType, RoomStatus } from './enums.js';
import type { Visibility } from './event.js';

export interface RoomTimers {
  /** Active -> paused after this long with no event. */
  inactiveAfterMs?: number;
  /** Paused (or active) -> closed after this long with no event. */
  closeAfterMs?: number;
}

export interface Room {
  id: string;
  status: RoomStatus;
  organizationId?: string;
  metadata: Record<string, unknown>;
  timers?: RoomTimers;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  /** When the last event was committed (drives inactivity timers). */
  lastActivityAt?: string;
  /** Number of events committed; equals the next index. */
  eventCount: number;
}

/** How a channel takes part in a room. */
export interface ChannelBinding {
  roomId: string;
  channelId: string;
  channelType: ChannelType;
  category: ChannelCategory;
  access: Access;
  muted: boolean;
  /** Who sees events that this channel produces. */
  visibility: Visibility;
  participantId?: string;
  metadata: Record<string, unknown>;
  attachedAt: string;
  /** How long one delivery to this channel in this room may take (overrides the channel's and the kit's). */
  deliveryTimeoutMs?: number;
}

export interface Participant {
  id: string;
  roomId: string;
  displayName?: string;
  channelId?: string;
  role: 'member' | 'owner' | 'agent' | 'observer' | (string & {});
  identified: boolean;
  metadata: Record<string, unknown>;
  joinedAt: string;
}
