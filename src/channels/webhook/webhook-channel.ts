/**
 * A signed JSON webhook for custom integrations. Out: each room event is POSTed to your URL
 * with `X-RoomKit-Signature` (HMAC-SHA256 over timestamp and body); 2xx is delivered, 5xx and
 * timeouts are retried (then parked until your endpoint is back), other 4xx are final. In:
 * POST `{ id, content | text, senderId?, roomId?, metadata? }` to the channel's path, signed
 * the same way; stale, unsigned or replayed requests get 403, and `id` makes retries safe.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import {
  type ChannelBinding,
  ChannelType,
  type EventContent,
  parseContent,
  type RoomEvent,
} from '../../models/index.js';
import { restRequest } from '../../providers/shared/rest-request.js';
import {
  parseJsonBody,
  WebhookPayloadError,
  type WebhookRequest,
  type WebhookResponse,
} from '../../providers/shared/webhook-request.js';
import { DEFAULT_CONTENT_TYPES } from '../channel.js';
import { DeliveryTracker } from '../messaging/delivery-status.js';
import {
  MessagingChannel,
  type MessagingChannelOptions,
  type Recipient,
} from '../messaging/messaging-channel.js';
import type { WebhookEndpoint } from '../messaging/webhook-endpoint.js';
import { checkRoomkitRequest, ROOMKIT_SIGNATURE_HEADER, signWebhookBody } from './webhook-signature.js';

export interface HTTPWebhookChannelOptions extends MessagingChannelOptions {
  /** Where events are POSTed (per room: binding `metadata.url`). Without either, nothing is sent. */
  url?: string;
  /**
   * Signs outbound requests and verifies inbound ones (default `ROOMKIT_WEBHOOK_SECRET`).
   * A list verifies with any of them and signs with the first (rotation).
   */
  secret?: string | readonly string[];
  /** Deadline of one outbound POST (default 10 s). */
  timeoutMs?: number;
  /** Extra headers on outbound requests (an API key of yours, say). */
  headers?: Record<string, string>;
}

const InboundBody = z
  .object({
    /** Unique per message: retries with the same id are stored once. */
    id: z.string().min(1).max(200),
    content: z.unknown().optional(),
    text: z.string().max(100_000).optional(),
    senderId: z.string().min(1).max(200).optional(),
    address: z.string().max(320).optional(),
    roomId: z.string().min(1).max(200).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((b) => b.content !== undefined || b.text !== undefined, { message: 'content or text is required' });

export class HTTPWebhookChannel extends MessagingChannel {
  readonly channelType = ChannelType.WEBHOOK;
  protected readonly deliveries: DeliveryTracker;
  private readonly secrets: readonly string[];
  private readonly opts: HTTPWebhookChannelOptions;

  constructor(id: string, opts: HTTPWebhookChannelOptions = {}) {
    super(id, opts);
    this.opts = opts;
    const secret = opts.secret ?? process.env.ROOMKIT_WEBHOOK_SECRET;
    this.secrets = (typeof secret === 'string' ? [secret] : [...(secret ?? [])]).filter(Boolean);
    if (!this.secrets.length) throw new TypeError('webhook: pass a secret (or set ROOMKIT_WEBHOOK_SECRET)');
    this.deliveries = new DeliveryTracker(id, 'webhook');
    this.capabilities = { contentTypes: DEFAULT_CONTENT_TYPES };
  }

  webhookEndpoints(): WebhookEndpoint[] {
    return [{ path: this.webhookPath, methods: ['POST'], handle: (req) => this.handleWebhook(req) }];
  }

  override async recipientFor(_roomId: string, binding?: ChannelBinding): Promise<Recipient | undefined> {
    const url = binding?.metadata?.url ?? this.opts.url;
    return typeof url === 'string' && url ? { address: url } : undefined;
  }

  async handleWebhook(req: WebhookRequest): Promise<WebhookResponse> {
    const replayKey = checkRoomkitRequest(this.secrets, req, this.replay.toleranceMs);
    const claim = this.replay.claim('webhook', replayKey, true);
    try {
      const body = this.parse(req.rawBody);
      const [result] = await this.submitOne(body);
      claim.commit();
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          eventId: result?.event?.id,
          roomId: result?.event?.roomId,
          index: result?.event?.index,
          blocked: result?.blocked ?? false,
          duplicate: result?.duplicate ?? false,
        }),
      };
    } catch (error) {
      claim.release();
      throw error;
    }
  }

  protected async sendTo(event: RoomEvent, recipient: Recipient): Promise<void> {
    const body = JSON.stringify({
      id: event.id,
      type: 'room.event',
      channelId: this.id,
      roomId: event.roomId,
      event: {
        id: event.id,
        index: event.index,
        type: event.type,
        source: event.source,
        content: event.content,
        createdAt: event.createdAt,
        metadata: event.metadata,
        ...(event.responseTo ? { responseTo: event.responseTo } : {}),
      },
    });
    await restRequest({
      provider: 'webhook',
      url: recipient.address,
      headers: {
        ...this.opts.headers,
        'content-type': 'application/json',
        'user-agent': 'roomkit-webhook/1',
        'x-roomkit-event-id': event.id,
        [ROOMKIT_SIGNATURE_HEADER]: signWebhookBody(this.secrets[0]!, body),
      },
      body,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
  }

  private parse(raw: Buffer): z.output<typeof InboundBody> {
    const json = parseJsonBody('webhook', raw);
    const parsed = InboundBody.safeParse(json);
    if (!parsed.success)
      throw new WebhookPayloadError('webhook', parsed.error.issues[0]?.message ?? 'invalid body');
    return parsed.data;
  }

  private async submitOne(body: z.output<typeof InboundBody>) {
    let content: EventContent;
    try {
      content =
        body.content !== undefined ? parseContent(body.content) : { type: 'text' as const, body: body.text! };
    } catch (error) {
      if (error instanceof ValidationError) throw new WebhookPayloadError('webhook', error.message, error);
      throw error;
    }
    const kit = this.requireKit();
    if (body.roomId !== undefined && !(await kit.getRoom(body.roomId))) {
      throw new WebhookPayloadError('webhook', `no room ${body.roomId}`);
    }
    const result = await kit.processInbound({
      channelId: this.id,
      senderId: body.senderId,
      address: body.address,
      roomId: body.roomId,
      content,
      idempotencyKey: `webhook:${body.id}`,
      metadata: { ...body.metadata, webhookId: body.id },
    });
    return [result];
  }
}
