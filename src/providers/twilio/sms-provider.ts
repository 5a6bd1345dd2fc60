/**
 * SMS and MMS over Twilio's Programmable Messaging: `POST /Accounts/{sid}/Messages.json`
 * (To, From or MessagingServiceSid, Body, MediaUrl, StatusCallback), inbound and status
 * webhooks signed with `X-Twilio-Signature`.
 */
import type { OutboundSMS, SMSProvider } from '../../channels/sms/sms-provider.js';
import { RecipientOptedOutError } from '../../channels/sms/sms-provider.js';
import type { ParsedWebhook, SentMessage } from '../../channels/messaging/types.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import { parseFormBody } from '../shared/form-body.js';
import {
  headerValue,
  queryParams,
  WebhookAuthError,
  type WebhookRequest,
} from '../shared/webhook-request.js';
import { type TwilioCredentials, TwilioError, TwilioRestClient } from './rest-client.js';
import { TWILIO_SIGNATURE_HEADER, verifyTwilioSignature } from './signature.js';
import { mapTwilioStatus, parseTwilioMessagingWebhook } from './sms-webhook.js';

export interface TwilioSMSProviderOptions extends TwilioCredentials {
  /** Our number, E.164 (default `TWILIO_PHONE_NUMBER` or `TWILIO_FROM_NUMBER`). */
  fromNumber?: string;
  /** Send through a Messaging Service instead of one number (default `TWILIO_MESSAGING_SERVICE_SID`). */
  messagingServiceSid?: string;
  /** Default 1 message/s: a US long code's limit. Toll-free and short codes allow more. */
  rateLimit?: RateLimit;
  /** Twilio's own STOP/START replies are on (the account default); our channel then stays quiet. */
  confirmsOptOut?: boolean;
}

const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export class TwilioSMSProvider implements SMSProvider {
  readonly name = 'twilio';
  readonly fromNumber: string;
  readonly rateLimit: RateLimit;
  readonly supportsMms = true;
  readonly maxSegments = 10;
  readonly confirmsOptOut: boolean;
  readonly client: TwilioRestClient;
  private readonly messagingServiceSid?: string;

  constructor(opts: TwilioSMSProviderOptions = {}) {
    this.client = new TwilioRestClient(opts);
    const from = opts.fromNumber ?? process.env.TWILIO_PHONE_NUMBER ?? process.env.TWILIO_FROM_NUMBER;
    this.messagingServiceSid = opts.messagingServiceSid ?? process.env.TWILIO_MESSAGING_SERVICE_SID;
    if (!from && !this.messagingServiceSid) {
      throw new TypeError('twilio: pass fromNumber (or set TWILIO_PHONE_NUMBER) or a messagingServiceSid');
    }
    this.fromNumber = from ?? this.messagingServiceSid!;
    this.rateLimit = opts.rateLimit ?? { maxPerSecond: 1 };
    this.confirmsOptOut = opts.confirmsOptOut ?? true;
  }

  async send(message: OutboundSMS, signal?: AbortSignal): Promise<SentMessage> {
    let body: Record<string, unknown>;
    try {
      body = await this.client.post(
        'Messages.json',
        {
          To: message.to,
          ...(this.messagingServiceSid
            ? { MessagingServiceSid: this.messagingServiceSid }
            : { From: this.fromNumber }),
          Body: message.text,
          MediaUrl: message.mediaUrls,
          StatusCallback: message.statusCallbackUrl,
        },
        signal,
      );
    } catch (error) {
      if (error instanceof TwilioError && error.twilioCode === 21610)
        throw new RecipientOptedOutError('twilio', error.message);
      throw error;
    }
    const sid = typeof body.sid === 'string' ? body.sid : undefined;
    if (!sid) throw new TwilioError('send answered without a message sid', 502);
    return {
      providerMessageId: sid,
      status: mapTwilioStatus(String(body.status ?? 'queued')) ?? 'queued',
      segments: Number(body.num_segments) || undefined,
    };
  }

  async parseWebhook(req: WebhookRequest): Promise<ParsedWebhook> {
    const signature = headerValue(req, TWILIO_SIGNATURE_HEADER);
    if (!signature) throw new WebhookAuthError('twilio', 'missing_signature');
    const fields = parseFormBody(req.rawBody, req.headers['content-type']).fields;
    if (!req.publicUrl || !verifyTwilioSignature(this.client.signingKey, signature, req.publicUrl, fields)) {
      throw new WebhookAuthError('twilio', 'bad_signature');
    }
    return {
      events: parseTwilioMessagingWebhook(fields, queryParams(req).get('ref') ?? undefined),
      // Twilio signs no timestamp: a copy of a request carries the same signature.
      replayKey: `twilio:${signature}`,
      timestamped: false,
      ack: { status: 200, headers: { 'content-type': 'text/xml' }, body: TWIML_EMPTY },
    };
  }

  fetchMedia(url: string, signal?: AbortSignal) {
    return this.client.download(url, signal);
  }
}
