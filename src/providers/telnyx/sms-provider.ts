/**
 * SMS and MMS over Telnyx Messaging: `POST /v2/messages` ({ from, to, text, media_urls,
 * webhook_url }), webhooks signed with Ed25519 (`telnyx-signature-ed25519` + `telnyx-timestamp`).
 */
import type { ParsedWebhook, SentMessage } from '../../channels/messaging/types.js';
import {
  type OutboundSMS,
  RecipientOptedOutError,
  type SMSProvider,
} from '../../channels/sms/sms-provider.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import { parseJsonBody, queryParams, type WebhookRequest } from '../shared/webhook-request.js';
import { type TelnyxCredentials, TelnyxError, TelnyxRestClient } from './rest-client.js';
import { checkTelnyxRequest, telnyxPublicKey } from './signature.js';
import { mapTelnyxStatus, parseTelnyxMessagingWebhook } from './sms-webhook.js';

export interface TelnyxSMSProviderOptions extends TelnyxCredentials {
  /** Our number, E.164 (default `TELNYX_PHONE_NUMBER` or `TELNYX_FROM_NUMBER`). */
  fromNumber?: string;
  /** Messaging profile (default `TELNYX_MESSAGING_PROFILE_ID`). */
  messagingProfileId?: string;
  /** The account's Ed25519 public key, base64 (default `TELNYX_PUBLIC_KEY`); webhooks are refused without it. */
  publicKey?: string;
  /** How old a signed webhook may be (default 5 min). */
  webhookToleranceMs?: number;
  /** Default 1 message/s (a long code). */
  rateLimit?: RateLimit;
  /** Telnyx answers STOP/START/HELP itself on messaging profiles with opt-out handling (default true). */
  confirmsOptOut?: boolean;
}

export class TelnyxSMSProvider implements SMSProvider {
  readonly name = 'telnyx';
  readonly fromNumber: string;
  readonly rateLimit: RateLimit;
  readonly supportsMms = true;
  readonly maxSegments = 10;
  readonly confirmsOptOut: boolean;
  readonly client: TelnyxRestClient;
  private readonly publicKey?: ReturnType<typeof telnyxPublicKey>;
  private readonly messagingProfileId?: string;

  constructor(private readonly opts: TelnyxSMSProviderOptions = {}) {
    this.client = new TelnyxRestClient(opts);
    const from = opts.fromNumber ?? process.env.TELNYX_PHONE_NUMBER ?? process.env.TELNYX_FROM_NUMBER;
    if (!from) throw new TypeError('telnyx: pass fromNumber or set TELNYX_PHONE_NUMBER');
    this.fromNumber = from;
    this.messagingProfileId = opts.messagingProfileId ?? process.env.TELNYX_MESSAGING_PROFILE_ID;
    const key = opts.publicKey ?? process.env.TELNYX_PUBLIC_KEY;
    this.publicKey = key ? telnyxPublicKey(key) : undefined;
    this.rateLimit = opts.rateLimit ?? { maxPerSecond: 1 };
    this.confirmsOptOut = opts.confirmsOptOut ?? true;
  }

  async send(message: OutboundSMS, signal?: AbortSignal): Promise<SentMessage> {
    let data: Record<string, unknown>;
    try {
      data = await this.client.post(
        'messages',
        {
          from: this.fromNumber,
          to: message.to,
          ...(message.text ? { text: message.text } : {}),
          ...(message.mediaUrls?.length ? { media_urls: message.mediaUrls } : {}),
          ...(message.statusCallbackUrl ? { webhook_url: message.statusCallbackUrl } : {}),
          ...(this.messagingProfileId ? { messaging_profile_id: this.messagingProfileId } : {}),
        },
        signal,
      );
    } catch (error) {
      if (error instanceof TelnyxError && error.telnyxCode === '40300')
        throw new RecipientOptedOutError('telnyx', error.message);
      throw error;
    }
    if (typeof data.id !== 'string') throw new TelnyxError('send answered without a message id', 502);
    const to = Array.isArray(data.to) ? (data.to[0] as { status?: string } | undefined) : undefined;
    return {
      providerMessageId: data.id,
      status: mapTelnyxStatus(String(to?.status ?? 'queued')) ?? 'queued',
      segments: typeof data.parts === 'number' ? data.parts : undefined,
    };
  }

  async parseWebhook(req: WebhookRequest): Promise<ParsedWebhook> {
    const replayKey = checkTelnyxRequest(this.publicKey, req, this.opts.webhookToleranceMs);
    const body = parseJsonBody('telnyx', req.rawBody);
    return {
      events: parseTelnyxMessagingWebhook(body, queryParams(req).get('ref') ?? undefined),
      replayKey,
      timestamped: true,
      ack: { status: 200, body: '' },
    };
  }

  fetchMedia(url: string, signal?: AbortSignal) {
    return this.client.download(url, signal);
  }
}
