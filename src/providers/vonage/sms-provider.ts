/**
 * SMS and MMS over the Vonage Messages API: `POST /v1/messages` ({ channel: 'sms', message_type:
 * 'text' } or { channel: 'mms', message_type: 'image' }, with our `client_ref` echoed in status
 * webhooks), webhooks signed with a JWT (HS256, the signature secret).
 */
import type { ParsedWebhook, SentMessage } from '../../channels/messaging/types.js';
import type { OutboundSMS, SMSProvider } from '../../channels/sms/sms-provider.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import { parseJsonBody, type WebhookRequest } from '../shared/webhook-request.js';
import { type VonageCredentials, VonageError, VonageRestClient } from './rest-client.js';
import { checkVonageRequest } from './signature.js';
import { parseVonageMessagesWebhook } from './sms-webhook.js';

export interface VonageSMSProviderOptions extends VonageCredentials {
  /** Our number, E.164 (default `VONAGE_PHONE_NUMBER` or `VONAGE_FROM_NUMBER`). */
  fromNumber?: string;
  /** Key of the webhook JWTs (default `VONAGE_SIGNATURE_SECRET`); webhooks are refused without it. */
  signatureSecret?: string;
  /** How old a signed webhook may be (default 5 min). */
  webhookToleranceMs?: number;
  /** Default 1 message/s per number (US long codes); the API itself allows 30 requests/s. */
  rateLimit?: RateLimit;
  /** Vonage does not confirm STOP for us (default false): the channel answers the keywords. */
  confirmsOptOut?: boolean;
}

export class VonageSMSProvider implements SMSProvider {
  readonly name = 'vonage';
  readonly fromNumber: string;
  readonly rateLimit: RateLimit;
  readonly supportsMms = true;
  readonly maxSegments = 10;
  readonly confirmsOptOut: boolean;
  readonly client: VonageRestClient;
  private readonly signatureSecret?: string;

  constructor(private readonly opts: VonageSMSProviderOptions = {}) {
    this.client = new VonageRestClient(opts);
    const from = opts.fromNumber ?? process.env.VONAGE_PHONE_NUMBER ?? process.env.VONAGE_FROM_NUMBER;
    if (!from) throw new TypeError('vonage: pass fromNumber or set VONAGE_PHONE_NUMBER');
    this.fromNumber = from;
    this.signatureSecret = opts.signatureSecret ?? process.env.VONAGE_SIGNATURE_SECRET;
    this.rateLimit = opts.rateLimit ?? { maxPerSecond: 1 };
    this.confirmsOptOut = opts.confirmsOptOut ?? false;
  }

  async send(message: OutboundSMS, signal?: AbortSignal): Promise<SentMessage> {
    // Vonage numbers go without the '+'.
    const common = {
      to: message.to.replace(/^\+/, ''),
      from: this.fromNumber.replace(/^\+/, ''),
      // client_ref holds at most 100 characters (long room ids: status matched by message id only).
      ...(message.reference && message.reference.length <= 100 ? { client_ref: message.reference } : {}),
      ...(message.statusCallbackUrl ? { webhook_url: message.statusCallbackUrl } : {}),
    };
    const body = message.mediaUrls?.length
      ? {
          ...common,
          channel: 'mms',
          message_type: 'image',
          image: { url: message.mediaUrls[0], ...(message.text ? { caption: message.text } : {}) },
        }
      : { ...common, channel: 'sms', message_type: 'text', text: message.text ?? '' };
    const answer = await this.client.post('v1/messages', body, signal);
    if (typeof answer.message_uuid !== 'string')
      throw new VonageError('send answered without a message_uuid', 502);
    return { providerMessageId: answer.message_uuid, status: 'queued' };
  }

  async parseWebhook(req: WebhookRequest): Promise<ParsedWebhook> {
    const replayKey = await checkVonageRequest(this.signatureSecret, req, this.opts.webhookToleranceMs);
    const body = parseJsonBody('vonage', req.rawBody);
    return {
      events: parseVonageMessagesWebhook(body),
      replayKey,
      timestamped: true,
      ack: { status: 200, body: '' },
    };
  }

  fetchMedia(url: string, signal?: AbortSignal) {
    return this.client.download(url, signal);
  }
}
