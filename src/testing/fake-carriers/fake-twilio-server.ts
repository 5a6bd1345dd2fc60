/**
 * A fake Twilio: `POST /2010-04-01/Accounts/{sid}/Messages.json` with Basic auth and form
 * params (answers like Twilio's Message resource, errors as `{ code, message, more_info,
 * status }`), inbound messages and status callbacks posted form-encoded and signed with
 * `X-Twilio-Signature`, exactly as Twilio signs them.
 */
import { randomBytes } from 'node:crypto';
import { encodeForm, type FormFields, field, parseUrlEncoded } from '../../providers/shared/form-body.js';
import { twilioSignature } from '../../providers/twilio/signature.js';
import { FakeTwilioVoice } from './media-stream/fake-twilio-voice.js';
import {
  type DispatchedWebhook,
  FakeCarrierServer,
  type FakeCarrierOptions,
  type FakeInboundSMS,
  type FakeCarrierReply,
  type FakeRequest,
  type FakeStatus,
} from './fake-carrier-server.js';

export interface FakeTwilioOptions extends FakeCarrierOptions {
  accountSid?: string;
  authToken?: string;
  /** The app's number (the default `To` of inbound messages). */
  phoneNumber?: string;
}

const ERROR_CODES: Partial<Record<FakeStatus, string>> = { failed: '30008', undelivered: '30003' };

export class FakeTwilioServer extends FakeCarrierServer {
  readonly accountSid: string;
  readonly authToken: string;
  phoneNumber: string;
  /** Numbers that texted STOP: Twilio refuses to send to them (21610). */
  readonly blocked = new Set<string>();
  /** Phone calls: place calls to our voice webhook, the Media Streams protocol, the Calls API. */
  readonly voice: FakeTwilioVoice;

  constructor(opts: FakeTwilioOptions = {}) {
    super(opts);
    this.accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
    this.authToken = opts.authToken ?? randomBytes(16).toString('hex');
    this.phoneNumber = opts.phoneNumber ?? '+15005550006';
    this.voice = new FakeTwilioVoice(this);
  }

  /** Options for TwilioSMSProvider pointing at this fake. */
  get providerOptions() {
    return {
      accountSid: this.accountSid,
      authToken: this.authToken,
      fromNumber: this.phoneNumber,
      baseUrl: this.baseUrl,
    };
  }

  protected async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    // Calls (dial, hang up, transfer) are the voice half's.
    const call = await this.voice.api(req, url);
    if (call) return call;
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return undefined;
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (m[1] !== this.accountSid || req.headers.authorization !== expected) {
      return { status: 401, body: this.error(20003, 'Authenticate', 401) };
    }
    const params = parseUrlEncoded(req.body.toString('utf8'));
    const to = field(params, 'To');
    const from = field(params, 'From') ?? field(params, 'MessagingServiceSid');
    const body = field(params, 'Body');
    const media = ([] as string[]).concat(params.MediaUrl ?? []);
    if (!to) return { status: 400, body: this.error(21604, "A 'To' phone number is required.", 400) };
    if (!from) return { status: 400, body: this.error(21603, "A 'From' phone number is required.", 400) };
    if (!body && !media.length)
      return { status: 400, body: this.error(21602, 'Message body is required.', 400) };
    if (this.blocked.has(to))
      return { status: 400, body: this.error(21610, 'Attempt to send to unsubscribed recipient', 400) };
    const sid = `SM${randomBytes(16).toString('hex')}`;
    this.accept({
      id: sid,
      to,
      from,
      text: body,
      mediaUrls: media,
      callbackUrl: field(params, 'StatusCallback'),
      raw: params,
      at: Date.now(),
    });
    const now = new Date().toUTCString();
    return {
      status: 201,
      body: {
        account_sid: this.accountSid,
        api_version: '2010-04-01',
        body: body ?? '',
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: field(params, 'MessagingServiceSid') ?? null,
        num_media: String(media.length),
        num_segments: String(Math.max(1, Math.ceil((body?.length ?? 0) / 153))),
        price: null,
        price_unit: 'USD',
        sid,
        status: 'queued',
        to,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      },
    };
  }

  protected errorBody(status: number, message: string): unknown {
    return this.error(status >= 500 ? 20500 : status, message, status);
  }

  async receiveMessage(message: FakeInboundSMS): Promise<DispatchedWebhook> {
    if (message.text && /^\s*(stop|stopall|unsubscribe|cancel|end|quit)\s*$/i.test(message.text))
      this.blocked.add(message.from);
    if (message.text && /^\s*(start|yes|unstop)\s*$/i.test(message.text)) this.blocked.delete(message.from);
    const sid = `${message.media?.length ? 'MM' : 'SM'}${randomBytes(16).toString('hex')}`;
    const params: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sid,
      NumMedia: String(message.media?.length ?? 0),
      SmsSid: sid,
      SmsStatus: 'received',
      Body: message.text ?? '',
      To: message.to ?? this.phoneNumber,
      NumSegments: String(Math.max(1, Math.ceil((message.text?.length ?? 0) / 153))),
      MessageSid: sid,
      AccountSid: this.accountSid,
      From: message.from,
      ApiVersion: '2010-04-01',
    };
    for (const [i, item] of (message.media ?? []).entries()) {
      params[`MediaContentType${i}`] = item.contentType;
      params[`MediaUrl${i}`] = this.hostMedia(item.data, item.contentType);
    }
    return this.postSigned(this.requireWebhookUrl(), params);
  }

  async reportStatus(
    messageId: string,
    status: FakeStatus,
    opts: { errorCode?: string } = {},
  ): Promise<DispatchedWebhook> {
    const message = this.findSent(messageId);
    const errorCode = opts.errorCode ?? ERROR_CODES[status];
    return this.postSigned(message.callbackUrl ?? this.requireWebhookUrl(), {
      SmsSid: messageId,
      SmsStatus: status,
      MessageStatus: status,
      To: message.to,
      MessageSid: messageId,
      AccountSid: this.accountSid,
      From: message.from,
      ApiVersion: '2010-04-01',
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    });
  }

  /** Sign params for `url` as Twilio does (for tests that build their own requests). */
  sign(url: string, params: FormFields): string {
    return twilioSignature(this.authToken, url, params);
  }

  private postSigned(url: string, params: Record<string, string>): Promise<DispatchedWebhook> {
    return this.post(
      url,
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': this.sign(url, params),
        'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
        'user-agent': 'TwilioProxy/1.1',
      },
      encodeForm(params),
    );
  }

  private error(code: number, message: string, status: number) {
    return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
  }
}
