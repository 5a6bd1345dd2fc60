import type { EventContent } from './content.js';
import type { RoomEvent, Visibility } from './event.js';

/** What a channel hands to the kit when something arrives from outside. */
export interface InboundMessage {
  channelId: string;
  senderId?: string;
  content: EventContent;
  /** Skip routing and deliver into this room. */
  roomId?: string;
  /** A repeated key returns the first result instead of storing twice. */
  idempotencyKey?: string;
  visibility?: Visibility;
  metadata?: Record<string, unknown>;
  /** Identity hints (phone number, email...) for the identity resolver. */
  address?: string;
}

export interface InboundResult {
  event?: RoomEvent;
  blocked: boolean;
  reason?: string;
  /** True when an earlier message with the same idempotency key answered. */
  duplicate?: boolean;
}
