/**
 * WhatsApp through a provider (the Business Cloud API). Inbound webhooks are verified
 * (`X-Hub-Signature-256`, plus the `hub.verify_token` handshake on GET) and become room events:
 * text, media (downloaded by id into the media store), button and list replies, locations.
 * Outbound content maps to text, media, interactive buttons/lists or templates; outside the
 * 24-hour customer service window only templates may go, so a configured re-engagement
 * template replaces free-form text. Status webhooks track delivery; reads become read receipts.
 */
import { normalizePhoneNumber } from '../../core/contact-identity.js';
import { errorMessage, RoomKitError } from '../../core/errors.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import {
  type ChannelBinding,
  ChannelType,
  contentText,
  type EventContent,
  type RoomEvent,
} from '../../models/index.js';
import type { WebhookRequest, WebhookResponse } from '../../providers/shared/webhook-request.js';
import { DeliveryTracker } from '../messaging/delivery-status.js';
import { importMedia } from '../messaging/import-media.js';
import { mediaIdOf } from '../messaging/media-store.js';
import {
  MessagingChannel,
  type MessagingChannelOptions,
  type Recipient,
} from '../messaging/messaging-channel.js';
import { encodeRef, type InboundProviderMessage } from '../messaging/types.js';
import type { WebhookEndpoint } from '../messaging/webhook-endpoint.js';
import { toWhatsApp } from './outbound-mapping.js';
import type { WhatsAppOutbound, WhatsAppProvider } from './whatsapp-provider.js';

export interface ReengagementTemplate {
  name: string;
  /** Default: the channel's templateLanguage. */
  language?: string;
  /** Template parameters from the text that could not be sent (default `{ '1': text }`). */
  parameters?: (text: string) => Record<string, string>;
}

export interface WhatsAppChannelOptions extends MessagingChannelOptions {
  provider: WhatsAppProvider;
  /** Sent instead of free-form messages when the 24-hour window is closed. Without it, such sends fail. */
  reengagementTemplate?: ReengagementTemplate;
  /** Language of templates (default 'en_US'). */
  templateLanguage?: string;
  /** Label of the button that opens a list of more than 3 choices (default 'Choose'). */
  listButtonLabel?: string;
  /** Mark inbound messages read (blue ticks) once they are in the room (default true). */
  markInboundRead?: boolean;
  /** The customer service window (default 24 h). */
  windowMs?: number;
  rateLimit?: RateLimit;
}

/** The 24-hour window is closed and no re-engagement template is configured. */
export class WhatsAppWindowClosedError extends RoomKitError {
  constructor() {
    super('whatsapp: the 24-hour customer service window is closed; only a template can be sent', {
      code: 'whatsapp_window_closed',
    });
  }
}

const DAY_MS = 24 * 3_600_000;

export class WhatsAppChannel extends MessagingChannel {
  readonly channelType = ChannelType.WHATSAPP;
  readonly provider: WhatsAppProvider;
  protected readonly deliveries: DeliveryTracker;
  private readonly lastInbound = new Map<string, number>();
  private readonly opts: WhatsAppChannelOptions;

  constructor(id: string, opts: WhatsAppChannelOptions) {
    super(id, opts);
    this.opts = opts;
    this.provider = opts.provider;
    this.deliveries = new DeliveryTracker(id, opts.provider.name);
    this.rateLimit = opts.rateLimit ?? opts.provider.rateLimit;
    this.capabilities = { contentTypes: ['text', 'rich', 'media', 'template', 'location'], maxLength: 4096 };
  }

  webhookEndpoints(): WebhookEndpoint[] {
    return [{ path: this.webhookPath, methods: ['GET', 'POST'], handle: (req) => this.handleWebhook(req) }];
  }

  async handleWebhook(req: WebhookRequest): Promise<WebhookResponse> {
    if (req.method === 'GET') return this.provider.answerHandshake(req);
    const parsed = await this.provider.parseWebhook(req);
    return this.runWebhook(parsed, (message) => this.receive(message), this.provider.name);
  }

  /** Is the customer service window open for this user (they wrote within the last 24 h)? */
  async windowOpen(roomId: string, address: string): Promise<boolean> {
    const at = this.lastInbound.get(address) ?? (await this.lastInboundFromStore(roomId, address));
    return at !== undefined && Date.now() - at < (this.opts.windowMs ?? DAY_MS);
  }

  protected async sendTo(event: RoomEvent, recipient: Recipient, _binding?: ChannelBinding): Promise<void> {
    const to = recipient.address.replace(/^\+/, '');
    let message = toWhatsApp(event.content, to, {
      templateLanguage: this.opts.templateLanguage ?? 'en_US',
      listButtonLabel: this.opts.listButtonLabel ?? 'Choose',
    });
    if (message.kind !== 'template' && !(await this.windowOpen(event.roomId, recipient.address))) {
      message = this.reengagement(event.content, to);
    }
    if (message.kind === 'media') message = await this.uploadIfLocal(message);
    const ref = { roomId: event.roomId, eventId: event.id };
    message.reference = encodeRef(ref);
    const sent = await this.provider.send(message);
    this.deliveries.remember(sent.providerMessageId, ref, recipient.address, recipient.participantId);
    await this.recordStatus({
      kind: 'status',
      providerMessageId: sent.providerMessageId,
      status: sent.status,
    });
  }

  private reengagement(content: EventContent, to: string): WhatsAppOutbound {
    const template = this.opts.reengagementTemplate;
    if (!template) throw new WhatsAppWindowClosedError();
    const text = contentText(content);
    return {
      kind: 'template',
      to,
      name: template.name,
      language: template.language ?? this.opts.templateLanguage ?? 'en_US',
      parameters: (template.parameters ?? ((t) => ({ 1: t })))(text),
    };
  }

  /** Meta cannot fetch our store's URLs: upload the bytes and send by media id. */
  private async uploadIfLocal(
    message: Extract<WhatsAppOutbound, { kind: 'media' }>,
  ): Promise<WhatsAppOutbound> {
    const id = message.link && !/^https?:\/\//.test(message.link) ? mediaIdOf(message.link) : undefined;
    if (!id) return message;
    const item = await this.mediaStore.get(id);
    if (!item)
      throw new RoomKitError(`media not found in the store: ${message.link}`, { code: 'media_not_found' });
    const mediaId = await this.provider.uploadMedia(
      item.data,
      item.mimeType,
      item.filename ?? message.filename,
    );
    return { ...message, link: undefined, mediaId };
  }

  private async receive(message: InboundProviderMessage): Promise<void> {
    const address = normalizePhoneNumber(message.from) ?? message.from;
    this.lastInbound.set(address, Date.now());
    const contents: EventContent[] = [];
    if (message.location) contents.push({ type: 'location', ...message.location });
    if (message.text) contents.push({ type: 'text', body: message.text });
    for (const media of message.media) {
      contents.push(
        await importMedia(
          this.mediaStore,
          media,
          (id, signal) => this.provider.fetchMedia(id, signal),
          this.kit?.logger,
        ),
      );
    }
    if (!contents.length) return;
    await this.submit({
      address,
      contents,
      idempotencyKey: `whatsapp:${message.providerMessageId}`,
      metadata: {
        whatsapp: {
          providerMessageId: message.providerMessageId,
          to: message.to,
          ...(message.profileName ? { profileName: message.profileName } : {}),
          ...(message.reply ? { reply: message.reply } : {}),
          ...message.details,
        },
      },
    });
    if (this.opts.markInboundRead ?? true) {
      this.provider
        .markRead(message.providerMessageId)
        .catch((error) =>
          this.kit?.logger.debug(
            { channelId: this.id, err: errorMessage(error) },
            'could not mark a message read',
          ),
        );
    }
  }

  private async lastInboundFromStore(roomId: string, address: string): Promise<number | undefined> {
    const recent = (await this.kit?.store.listEvents(roomId, { limit: 200, direction: 'backward' })) ?? [];
    for (let i = recent.length - 1; i >= 0; i--) {
      const e = recent[i]!;
      if (e.source.channelId === this.id && e.metadata.contact === address) {
        const at = Date.parse(e.createdAt);
        this.lastInbound.set(address, at);
        return at;
      }
    }
    return undefined;
  }
}
