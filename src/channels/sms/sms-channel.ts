/**
 * SMS and MMS through a carrier (Twilio, Telnyx, Vonage). Inbound webhooks are verified by the
 * carrier's signature, refused when replayed, and become room events (text, then one `media`
 * event per attachment, stored in the media store). Outbound text is fitted to the carrier's
 * segment budget in its own alphabet; STOP/START/HELP are honoured; delivery receipts are
 * tracked per message; sends are paced under the carrier's rate limit.
 */
import { normalizePhoneNumber } from '../../core/contact-identity.js';
import { errorMessage } from '../../core/errors.js';
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
import {
  MessagingChannel,
  type MessagingChannelOptions,
  type Recipient,
} from '../messaging/messaging-channel.js';
import { encodeRef, type InboundProviderMessage, type SentMessage } from '../messaging/types.js';
import type { WebhookEndpoint } from '../messaging/webhook-endpoint.js';
import { MemoryOptOutStore, type OptOutStore, type SmsKeyword, smsKeyword } from './opt-out.js';
import { fitSmsSegments, smsSegments } from './segments.js';
import { type OutboundSMS, RecipientOptedOutError, type SMSProvider } from './sms-provider.js';

export interface SMSChannelOptions extends MessagingChannelOptions {
  provider: SMSProvider;
  /** Opt-outs per sending number (default in memory; `FileOptOutStore` persists them). */
  optOutStore?: OptOutStore;
  /** Answer to HELP/INFO. */
  helpText?: string;
  /** Confirmation of STOP (sent once, the last message that number gets). */
  stopText?: string;
  /** Confirmation of START. */
  startText?: string;
  /** Send our own STOP/START/HELP answers (default: unless the carrier answers them itself). */
  keywordReplies?: boolean;
  /** Most segments per message (default: the carrier's, usually 10). */
  maxSegments?: number;
  /** Send pacing (default: the carrier's limit for one number). */
  rateLimit?: RateLimit;
  /** Country code for national numbers in webhooks, e.g. '1' (no plus). */
  defaultCountryCode?: string;
}

const DEFAULT_HELP = 'Reply STOP to unsubscribe. Msg & data rates may apply.';
const DEFAULT_STOP = 'You are unsubscribed and will receive no further messages. Reply START to resubscribe.';
const DEFAULT_START = 'You are subscribed again. Reply STOP to unsubscribe, HELP for help.';

export class SMSChannel extends MessagingChannel {
  readonly channelType = ChannelType.SMS;
  readonly provider: SMSProvider;
  readonly optOutStore: OptOutStore;
  protected readonly deliveries: DeliveryTracker;
  private readonly opts: SMSChannelOptions;

  constructor(id: string, opts: SMSChannelOptions) {
    super(id, opts);
    this.opts = opts;
    this.provider = opts.provider;
    this.optOutStore = opts.optOutStore ?? new MemoryOptOutStore();
    this.deliveries = new DeliveryTracker(id, opts.provider.name);
    this.rateLimit = opts.rateLimit ?? opts.provider.rateLimit;
    // Text is fitted to segments in sendTo (a character count cannot know the alphabet).
    this.capabilities = { contentTypes: opts.provider.supportsMms ? ['text', 'media'] : ['text'] };
  }

  webhookEndpoints(): WebhookEndpoint[] {
    return [{ path: this.webhookPath, methods: ['POST'], handle: (req) => this.handleWebhook(req) }];
  }

  /** Verify, de-duplicate and process one carrier webhook (inbound message or status callback). */
  async handleWebhook(req: WebhookRequest): Promise<WebhookResponse> {
    const parsed = await this.provider.parseWebhook(req);
    return this.runWebhook(parsed, (message) => this.receive(message), this.provider.name);
  }

  /** Is `number` opted out of messages from this channel's number? */
  isOptedOut(number: string): Promise<boolean> {
    return this.optOutStore.isOptedOut(this.provider.fromNumber, this.normalize(number) ?? number);
  }

  protected async sendTo(event: RoomEvent, recipient: Recipient, _binding?: ChannelBinding): Promise<void> {
    const to = this.normalize(recipient.address) ?? recipient.address;
    if (await this.optOutStore.isOptedOut(this.provider.fromNumber, to)) return this.suppressed(event);
    const ref = { roomId: event.roomId, eventId: event.id };
    const message = this.outbound(event.content, to);
    message.reference = encodeRef(ref);
    if (this.publicBaseUrl)
      message.statusCallbackUrl = `${this.publicBaseUrl}${this.webhookPath}?ref=${encodeRef(ref)}`;
    let sent: SentMessage;
    try {
      sent = await this.provider.send(message);
    } catch (error) {
      if (!(error instanceof RecipientOptedOutError)) throw error;
      // The carrier knows of a STOP we missed: remember it, and do not retry.
      await this.optOutStore.optOut(this.provider.fromNumber, to);
      return this.suppressed(event);
    }
    this.deliveries.remember(sent.providerMessageId, ref, to, recipient.participantId);
    await this.recordStatus({
      kind: 'status',
      providerMessageId: sent.providerMessageId,
      status: sent.status,
    });
  }

  /** Nothing goes to a number that texted STOP; the room hears why (`delivery_suppressed`). */
  private suppressed(event: RoomEvent): void {
    this.kit?.logger.info({ channelId: this.id, eventId: event.id }, 'not sent: recipient opted out (STOP)');
    this.kit?.events.emit('delivery_suppressed', {
      roomId: event.roomId,
      eventId: event.id,
      channelId: this.id,
      reason: 'opted_out',
    });
  }

  private outbound(content: EventContent, to: string): OutboundSMS {
    let text = content.type === 'media' ? (content.caption ?? '') : contentText(content);
    let mediaUrls: string[] | undefined;
    if (content.type === 'media') {
      if (content.url.startsWith('roomkit-media:')) {
        // A carrier cannot fetch a store-local URL: without a public base, say what it was.
        text = text
          ? `${text} [${content.filename ?? content.mimeType}]`
          : `[${content.filename ?? content.mimeType}]`;
      } else {
        mediaUrls = [content.url];
      }
    }
    return {
      to,
      text: text ? fitSmsSegments(text, this.opts.maxSegments ?? this.provider.maxSegments) : undefined,
      mediaUrls,
    };
  }

  private async receive(message: InboundProviderMessage): Promise<void> {
    const from = this.normalize(message.from) ?? message.from;
    const keyword = message.media.length ? undefined : smsKeyword(message.text);
    if (keyword) await this.answerKeyword(keyword, from);
    const contents: EventContent[] = [];
    if (message.text) contents.push({ type: 'text', body: message.text });
    for (const media of message.media) {
      contents.push(
        await importMedia(
          this.mediaStore,
          media,
          this.provider.fetchMedia?.bind(this.provider),
          this.kit?.logger,
        ),
      );
    }
    if (!contents.length) return;
    const segments = message.text ? smsSegments(message.text).segments : 0;
    await this.submit({
      address: from,
      contents,
      idempotencyKey: `${this.provider.name}:${message.providerMessageId}`,
      metadata: {
        sms: {
          provider: this.provider.name,
          providerMessageId: message.providerMessageId,
          to: message.to,
          segments,
          ...message.details,
        },
        ...(keyword ? { smsKeyword: keyword } : {}),
      },
      // STOP/HELP are for the carrier rules, not for the AI to answer: transports see them, intelligence does not.
      visibility: keyword ? 'transport' : undefined,
    });
  }

  private async answerKeyword(keyword: SmsKeyword, from: string): Promise<void> {
    const ours = this.provider.fromNumber;
    if (keyword === 'stop') await this.optOutStore.optOut(ours, from);
    if (keyword === 'start') await this.optOutStore.optIn(ours, from);
    this.kit?.events.emit('sms_keyword', { channelId: this.id, keyword, from });
    if (!(this.opts.keywordReplies ?? !this.provider.confirmsOptOut)) return;
    const text =
      keyword === 'help'
        ? (this.opts.helpText ?? DEFAULT_HELP)
        : keyword === 'stop'
          ? (this.opts.stopText ?? DEFAULT_STOP)
          : (this.opts.startText ?? DEFAULT_START);
    try {
      await this.provider.send({ to: from, text });
    } catch (error) {
      this.kit?.logger.warn(
        { channelId: this.id, keyword, err: errorMessage(error) },
        'keyword reply not sent',
      );
    }
  }

  private normalize(number: string): string | undefined {
    return normalizePhoneNumber(number, { defaultCountryCode: this.opts.defaultCountryCode });
  }
}
