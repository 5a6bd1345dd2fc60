import type { Context } from '@opentelemetry/api';
import type { RoomKit } from '../core/roomkit.js';
import type { RateLimit } from '../core/resilience/rate-limiter.js';
import type { RetryPolicy } from '../core/resilience/retry.js';
import type {
  ChannelBinding,
  ChannelType,
  ContentType,
  EventContent,
  InboundMessage,
  Room,
  RoomEvent,
} from '../models/index.js';
import { CONTENT_TYPES, ChannelCategory } from '../models/index.js';

/** What a channel can render; the kit transcodes events to fit before delivery. */
export interface ChannelCapabilities {
  /** Content types delivered as they are; others fall back to text. */
  contentTypes: readonly ContentType[];
  /** Longer text is truncated (with an ellipsis) to this many characters. */
  maxLength?: number;
  /** Receives live text deltas of streamed AI replies (`deliverStreamDelta`). */
  streaming?: boolean;
  /**
   * Many endpoints behind one channel (a WebSocket server): the channel also receives the
   * events its own endpoints sent, in index order, and skips the sending endpoint itself.
   */
  multiplexed?: boolean;
}

export const ALL_CONTENT_TYPES: readonly ContentType[] = CONTENT_TYPES;

/** What a channel takes unless it says otherwise: everything but the framework's system notices. */
export const DEFAULT_CONTENT_TYPES: readonly ContentType[] = ALL_CONTENT_TYPES.filter((t) => t !== 'system');

export interface DeliveryContext {
  kit: RoomKit;
  room: Room;
  /** Aborted when the kit closes or this call's deadline passes (pass it to anything slow). */
  readonly signal: AbortSignal;
  /**
   * True when the kit is re-driving an event after a restart (`kit.recover()`): the channel may
   * have received it before the crash. Delivery is at least once; drop repeats by `event.id`.
   */
  readonly redelivery?: boolean;
  /**
   * The delivery's OpenTelemetry context when the kit traces (an SDK is registered): a channel's
   * own spans (a model call) start under it, so they join the event's trace.
   */
  readonly traceContext?: Context;
}

/** A reply an intelligence channel wants to post: content, optionally with metadata. */
export interface ResponseEvent {
  content: EventContent;
  metadata?: Record<string, unknown>;
  visibility?: RoomEvent['visibility'];
}

export interface ChannelOutput {
  responseEvents?: ResponseEvent[];
  /**
   * A streamed reply: text deltas are shown live to streaming-capable channels, and the
   * full text is committed as one event when the stream ends.
   */
  responseStream?: AsyncIterable<string>;
  metadata?: Record<string, unknown>;
}

/**
 * Base of every channel. A transport implements `deliver`; an intelligence channel
 * implements `onEvent`. Channels are registered once with a kit and attached to rooms.
 */
export abstract class Channel {
  abstract readonly channelType: ChannelType;
  readonly category: ChannelCategory = ChannelCategory.TRANSPORT;
  capabilities: ChannelCapabilities = { contentTypes: DEFAULT_CONTENT_TYPES };
  /** Deliveries wait (never drop) to stay under this rate. */
  rateLimit?: RateLimit;
  retryPolicy?: RetryPolicy;
  /**
   * How long one call to `deliver` / `onEvent` may take before it counts as a failed attempt
   * (retried, then `delivery_failed`). Default: the kit's `deliveryTimeoutMs` (30 s) for
   * transports, `intelligenceTimeoutMs` (5 min) for intelligence channels; an attach option
   * overrides it per room.
   */
  deliveryTimeoutMs?: number;
  protected kit?: RoomKit;

  constructor(readonly id: string) {}

  /** The kit this channel is registered with. */
  get roomKit(): RoomKit | undefined {
    return this.kit;
  }

  /** Called by `kit.registerChannel`. */
  onRegister(kit: RoomKit): void {
    this.kit = kit;
  }

  /** Turn raw inbound into the message the pipeline processes; override to normalise. */
  async handleInbound(message: InboundMessage): Promise<InboundMessage> {
    return message;
  }

  /** Transport: push an event out. Intelligence channels leave this alone. */
  async deliver(_event: RoomEvent, _binding: ChannelBinding, _ctx: DeliveryContext): Promise<ChannelOutput> {
    return {};
  }

  /** Intelligence: react to an event, possibly with replies that re-enter the pipeline. */
  async onEvent(_event: RoomEvent, _binding: ChannelBinding, _ctx: DeliveryContext): Promise<ChannelOutput> {
    return {};
  }

  /** Live text of a streamed reply (only called when capabilities.streaming). */
  async deliverStreamDelta(_delta: {
    roomId: string;
    streamId: string;
    text: string;
    done: boolean;
    sourceChannelId: string;
  }): Promise<void> {}

  async close(): Promise<void> {}
}
