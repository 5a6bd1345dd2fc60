/**
 * What SMS, WhatsApp, email and webhook channels share: whom a room's messages go to, the
 * outbox that keeps messages through a provider outage, delivery status tracking, the replay
 * guard in front of every webhook, and turning verified inbound messages into room events.
 */
import { errorMessage, isRetryable, RoomKitError } from '../../core/errors.js';
import type { RoomKit } from '../../core/roomkit.js';
import type {
  ChannelBinding,
  EventContent,
  InboundResult,
  RoomEvent,
  Visibility,
} from '../../models/index.js';
import { ReplayGuard, type ReplayGuardOptions } from '../../providers/shared/webhook-signature.js';
import type { WebhookResponse } from '../../providers/shared/webhook-request.js';
import { Channel, type ChannelOutput, type DeliveryContext } from '../channel.js';
import type { DeliveryTracker } from './delivery-status.js';
import { type MediaStore, MemoryMediaStore } from './media-store.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import type { ParsedWebhook, ProviderStatusUpdate, ProviderWebhookEvent } from './types.js';
import type { WebhookEndpoint } from './webhook-endpoint.js';

export interface MessagingChannelOptions {
  /** Where this channel's webhook is served (default `/webhooks/<channel id>`). */
  webhookPath?: string;
  /**
   * The public origin webhooks and media are reached at, e.g. `https://bot.example.com`
   * (default: `ROOMKIT_PUBLIC_URL`). Used for per-message status callback URLs and media links.
   */
  publicBaseUrl?: string;
  /** Where inbound attachments go (default: a bounded MemoryMediaStore). */
  mediaStore?: MediaStore;
  /** Keep messages through provider outages (default on); false turns it off. */
  outbox?: Pick<OutboxOptions, 'maxParked' | 'baseDelayMs' | 'maxDelayMs'> | false;
  /** Replay protection for inbound webhooks. */
  replay?: ReplayGuardOptions;
  /** Webhooks are answered within this long, finishing in the background if need be (default 1.5 s). */
  ackTimeoutMs?: number;
  /**
   * Picks the room of an inbound message the channel has no room for (no thread, no explicit
   * room): return a room id (e.g. a room you create wired with your agent), or undefined to
   * let the kit's router decide. `roomkit serve` gives each new contact a room this way.
   */
  roomFor?: (message: { channelId: string; address: string }) => Promise<string | undefined>;
}

/** Who a room's messages go to on this channel. */
export interface Recipient {
  /** Normalised address: E.164 number, email address, URL. */
  address: string;
  /** The participant behind it, so their own messages are not sent back to them. */
  participantId?: string;
}

/** One inbound message, ready for the room (contents: text, then each attachment). */
export interface InboundSubmission {
  /** The sender's normalised address. */
  address: string;
  contents: EventContent[];
  idempotencyKey: string;
  metadata: Record<string, unknown>;
  /** Known room (email threading); else the router decides. */
  roomId?: string;
  visibility?: Visibility;
}

const MAX_REMEMBERED_ROOMS = 100_000;

export abstract class MessagingChannel extends Channel {
  readonly webhookPath: string;
  readonly publicBaseUrl?: string;
  readonly mediaStore: MediaStore;
  readonly outbox: Outbox;
  protected readonly replay: ReplayGuard;
  protected abstract readonly deliveries: DeliveryTracker;
  private readonly recipients = new Map<string, Recipient>();
  private readonly outboxEnabled: boolean;
  private readonly roomFor?: MessagingChannelOptions['roomFor'];
  private readonly ackTimeoutMs: number;
  private unsubscribe?: () => void;

  constructor(id: string, opts: MessagingChannelOptions) {
    super(id);
    this.webhookPath = opts.webhookPath ?? `/webhooks/${encodeURIComponent(id)}`;
    this.publicBaseUrl =
      (opts.publicBaseUrl ?? process.env.ROOMKIT_PUBLIC_URL)?.replace(/\/+$/, '') || undefined;
    this.mediaStore = opts.mediaStore ?? new MemoryMediaStore({ publicBaseUrl: this.publicBaseUrl });
    this.replay = new ReplayGuard(opts.replay);
    this.outboxEnabled = opts.outbox !== false;
    this.roomFor = opts.roomFor;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1_500;
    this.outbox = new Outbox({
      ...(opts.outbox || {}),
      send: async (item) => {
        const binding = this.kit && (await this.kit.getBinding(item.event.roomId, this.id));
        await this.sendTo(item.event, { address: item.recipient }, binding);
      },
      // Given up for good: say so like any failed delivery (a non-retryable error, so it is not parked again).
      onDrop: (item, reason, error) =>
        this.kit?.events.emit('delivery_failed', {
          event: item.event,
          channelId: this.id,
          error: new RoomKitError(`message dropped from the outbox: ${reason}`, {
            code: 'outbox_dropped',
            cause: error,
          }),
          attempts: item.attempts,
        }),
    });
  }

  /** The webhook endpoints to mount (see `createWebhookHandler`). */
  abstract webhookEndpoints(): WebhookEndpoint[];

  /** Send one event to one recipient; throw a typed error (retryable ones are retried). */
  protected abstract sendTo(event: RoomEvent, recipient: Recipient, binding?: ChannelBinding): Promise<void>;

  override onRegister(kit: RoomKit): void {
    super.onRegister(kit);
    this.outbox.logger = kit.logger.child({ channelId: this.id });
    if (!this.outboxEnabled) return;
    // The kit gave up on a delivery (retries spent, or the breaker is open): keep it.
    this.unsubscribe = kit.on('delivery_failed', (payload) => {
      if (payload.channelId !== this.id || !isRetryable(payload.error)) return;
      void this.park(payload.event).catch((error) =>
        kit.logger.warn({ channelId: this.id, err: errorMessage(error) }, 'could not park a message'),
      );
    });
  }

  override async deliver(
    event: RoomEvent,
    binding: ChannelBinding,
    _ctx: DeliveryContext,
  ): Promise<ChannelOutput> {
    const recipient = await this.recipientFor(event.roomId, binding);
    if (!recipient || this.isOwnMessage(event, recipient)) return {};
    // Parked messages go first: a new one must not overtake them.
    if (this.outbox.size) {
      this.outbox.park(event, recipient.address);
      return {};
    }
    await this.sendTo(event, recipient, binding);
    return {};
  }

  /**
   * Whom this room's messages go to: the binding's `metadata.to`, else whoever last wrote to
   * the room on this channel. No recipient means nothing is sent (a room where the SMS user
   * has not texted yet stays quiet on SMS).
   */
  async recipientFor(roomId: string, binding?: ChannelBinding): Promise<Recipient | undefined> {
    const to = binding?.metadata?.to;
    if (typeof to === 'string' && to) return { address: to };
    const known = this.recipients.get(roomId);
    if (known) return known;
    const kit = this.kit;
    if (!kit) return undefined;
    const recent = await kit.store.listEvents(roomId, { limit: 200, direction: 'backward' });
    for (let i = recent.length - 1; i >= 0; i--) {
      const e = recent[i]!;
      if (e.source.channelId === this.id && typeof e.metadata.contact === 'string') {
        const found = { address: e.metadata.contact, participantId: e.source.participantId };
        this.rememberRecipient(roomId, found);
        return found;
      }
    }
    return undefined;
  }

  rememberRecipient(roomId: string, recipient: Recipient): void {
    this.recipients.delete(roomId);
    this.recipients.set(roomId, recipient);
    if (this.recipients.size > MAX_REMEMBERED_ROOMS)
      this.recipients.delete(this.recipients.keys().next().value!);
  }

  override async close(): Promise<void> {
    this.unsubscribe?.();
    this.outbox.close();
  }

  /**
   * Post an inbound message into its room. One message should get one answer: text with a
   * single attachment becomes one `media` event captioned with the text; with more parts, each
   * attachment is its own event shown to people (visibility 'transport') and the last part
   * (the text, when there is one) is the one the AI sees and answers.
   */
  protected async submit(input: InboundSubmission): Promise<InboundResult[]> {
    const kit = this.requireKit();
    const parts = shapeParts(input.contents);
    const results: InboundResult[] = [];
    let roomId = input.roomId ?? (await this.roomFor?.({ channelId: this.id, address: input.address }));
    for (const [i, content] of parts.entries()) {
      const last = i === parts.length - 1;
      const result = await kit.processInbound({
        channelId: this.id,
        senderId: input.address,
        address: input.address,
        roomId,
        content,
        idempotencyKey: parts.length > 1 ? `${input.idempotencyKey}#${i}` : input.idempotencyKey,
        metadata: { ...input.metadata, contact: input.address },
        visibility: input.visibility ?? (last ? undefined : 'transport'),
      });
      results.push(result);
      if (result.event) {
        roomId = result.event.roomId;
        this.rememberRecipient(roomId, {
          address: input.address,
          participantId: result.event.source.participantId,
        });
      }
    }
    return results;
  }

  /**
   * Run a verified webhook: claim its replay key (a copy is refused with 403), handle each
   * event, then remember the key; a failure forgets it, so the vendor's retry is accepted.
   */
  protected runWebhook(
    parsed: ParsedWebhook,
    onMessage: (event: Extract<ProviderWebhookEvent, { kind: 'message' }>) => Promise<void>,
    provider: string,
  ): Promise<WebhookResponse> {
    return this.handleClaimed(provider, parsed.replayKey, parsed.timestamped, parsed.ack, async () => {
      for (const event of parsed.events) {
        if (event.kind === 'message') await onMessage(event);
        else await this.recordStatus(event);
      }
      return parsed.ack;
    });
  }

  /**
   * Handle a verified request under its replay claim, answering within `ackTimeoutMs`: vendors
   * give webhooks a few seconds (Telnyx two) and retry when we are slower, while a message
   * waits for every channel of its room (an AI answering included). Past the deadline the
   * request is acknowledged and finishes in the background; an error before that is a 5xx,
   * so the vendor retries.
   */
  protected async handleClaimed(
    provider: string,
    replayKey: string,
    timestamped: boolean,
    lateAck: WebhookResponse,
    work: () => Promise<WebhookResponse>,
  ): Promise<WebhookResponse> {
    const claim = this.replay.claim(provider, replayKey, timestamped);
    const running = work();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.ackTimeoutMs);
    });
    try {
      const outcome = await Promise.race([running, late]);
      claim.commit();
      if (outcome !== 'late') return outcome;
      this.kit?.internals.track(
        running.catch((error) =>
          this.kit?.logger.error(
            { channelId: this.id, err: errorMessage(error) },
            'webhook failed after it was acknowledged',
          ),
        ),
      );
      return lateAck;
    } catch (error) {
      claim.release();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  protected recordStatus(update: ProviderStatusUpdate) {
    return this.deliveries.record(this.requireKit(), update);
  }

  protected requireKit(): RoomKit {
    if (!this.kit) throw new Error(`channel ${this.id} is not registered with a kit`);
    return this.kit;
  }

  private isOwnMessage(event: RoomEvent, recipient: Recipient): boolean {
    return recipient.participantId !== undefined && event.source.participantId === recipient.participantId;
  }

  private async park(event: RoomEvent): Promise<void> {
    const binding = await this.kit?.getBinding(event.roomId, this.id);
    const recipient = await this.recipientFor(event.roomId, binding);
    if (recipient && !this.isOwnMessage(event, recipient)) this.outbox.park(event, recipient.address);
  }
}

/** Text plus one attachment merge into a captioned attachment; otherwise attachments first, text last. */
function shapeParts(contents: EventContent[]): EventContent[] {
  const texts = contents.filter((c) => c.type === 'text');
  const others = contents.filter((c) => c.type !== 'text');
  const only = others[0];
  if (texts.length === 1 && others.length === 1 && only?.type === 'media' && !only.caption) {
    return [{ ...only, caption: (texts[0] as { body: string }).body }];
  }
  return [...others, ...texts];
}
