/**
 * A fake Telnyx: `POST /v2/messages` with a Bearer key (answers `{ data: message }`, errors
 * as `{ errors: [{ code, title, detail }] }`), and messaging webhooks (`message.received`,
 * `message.sent`, `message.finalized`) signed with its own Ed25519 key exactly as Telnyx
 * signs them: base64 signature of `<timestamp>|<body>`.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import {
  type DispatchedWebhook,
  FakeCarrierServer,
  type FakeCarrierOptions,
  type FakeInboundSMS,
  type FakeCarrierReply,
  type FakeRequest,
  type FakeStatus,
} from './fake-carrier-server.js';
import { FakeTelnyxVoice } from './media-stream/fake-telnyx-voice.js';

export interface FakeTelnyxOptions extends FakeCarrierOptions {
  apiKey?: string;
  phoneNumber?: string;
}

const STATUS: Record<FakeStatus, string> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  failed: 'sending_failed',
  undelivered: 'delivery_failed',
};

export class FakeTelnyxServer extends FakeCarrierServer {
  readonly apiKey: string;
  phoneNumber: string;
  /** The account public key (base64 of the raw 32 bytes), as the Telnyx portal shows it. */
  readonly publicKey: string;
  private readonly privateKey: KeyObject;
  /** Seconds added to the signing clock (negative: old, for stale-request tests). */
  clockSkewSeconds = 0;
  /** Phone calls: TeXML webhooks, the media-streaming protocol, the Call Control API. */
  readonly voice: FakeTelnyxVoice;

  constructor(opts: FakeTelnyxOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? `KEY${randomUUID().replace(/-/g, '')}`;
    this.phoneNumber = opts.phoneNumber ?? '+15005550007';
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.publicKey = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
    this.voice = new FakeTelnyxVoice(this);
  }

  get providerOptions() {
    return {
      apiKey: this.apiKey,
      fromNumber: this.phoneNumber,
      publicKey: this.publicKey,
      baseUrl: this.baseUrl,
    };
  }

  protected async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    // Calls (dial, hang up, transfer) are the voice half's.
    const call = await this.voice.api(req, url);
    if (call) return call;
    if (url.pathname !== '/v2/messages' || req.method !== 'POST') return undefined;
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return {
        status: 401,
        body: this.errors('10009', 'Authentication failed', 'Could not understand the provided credentials.'),
      };
    }
    const body = this.jsonBody(req);
    if (!body)
      return {
        status: 400,
        body: this.errors('10015', 'Bad Request', 'The request body is not valid JSON.'),
      };
    const to = typeof body.to === 'string' ? body.to : undefined;
    const from = typeof body.from === 'string' ? body.from : undefined;
    const media = Array.isArray(body.media_urls) ? body.media_urls.map(String) : [];
    if (!to || !from)
      return {
        status: 422,
        body: this.errors('10004', 'Missing required parameter', "'to' and 'from' are required."),
      };
    if (!body.text && !media.length)
      return {
        status: 422,
        body: this.errors('10004', 'Missing required parameter', "'text' or 'media_urls' is required."),
      };
    const id = randomUUID();
    const text = typeof body.text === 'string' ? body.text : undefined;
    this.accept({
      id,
      to,
      from,
      text,
      mediaUrls: media,
      callbackUrl: typeof body.webhook_url === 'string' ? body.webhook_url : undefined,
      raw: body,
      at: Date.now(),
    });
    return { status: 200, body: { data: this.message(id, 'outbound', from, to, text, media, 'queued') } };
  }

  protected errorBody(status: number, message: string): unknown {
    return this.errors(String(status >= 500 ? 10007 : status), 'Error', message);
  }

  async receiveMessage(message: FakeInboundSMS): Promise<DispatchedWebhook> {
    const media = (message.media ?? []).map((m) => ({
      url: this.hostMedia(m.data, m.contentType),
      content_type: m.contentType,
      size: m.data.length,
      hash_sha256: null,
    }));
    const payload = {
      ...this.message(
        randomUUID(),
        'inbound',
        message.from,
        message.to ?? this.phoneNumber,
        message.text,
        [],
        'webhook_delivered',
      ),
      media,
      received_at: new Date().toISOString(),
    };
    return this.postEvent(this.requireWebhookUrl(), 'message.received', payload);
  }

  async reportStatus(
    messageId: string,
    status: FakeStatus,
    opts: { errorCode?: string } = {},
  ): Promise<DispatchedWebhook> {
    const sent = this.findSent(messageId);
    const failed = status === 'failed' || status === 'undelivered';
    const payload = {
      ...this.message(messageId, 'outbound', sent.from, sent.to, sent.text, sent.mediaUrls, STATUS[status]),
      errors: failed
        ? [
            {
              code: opts.errorCode ?? '40001',
              title: 'Not routable',
              detail: 'The destination number is not reachable.',
            },
          ]
        : [],
    };
    return this.postEvent(
      sent.callbackUrl ?? this.requireWebhookUrl(),
      status === 'sent' ? 'message.sent' : 'message.finalized',
      payload,
    );
  }

  /** Sign a body as Telnyx does: returns the two headers. */
  signHeaders(body: Buffer | string, timestamp = Math.floor(Date.now() / 1000) + this.clockSkewSeconds) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const signature = sign(
      null,
      Buffer.concat([Buffer.from(`${timestamp}|`), bytes]),
      this.privateKey,
    ).toString('base64');
    return { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': String(timestamp) };
  }

  private postEvent(
    url: string,
    eventType: string,
    payload: Record<string, unknown>,
  ): Promise<DispatchedWebhook> {
    const body = JSON.stringify({
      data: {
        event_type: eventType,
        id: randomUUID(),
        occurred_at: new Date().toISOString(),
        payload,
        record_type: 'event',
      },
      meta: { attempt: 1, delivered_to: url },
    });
    return this.post(
      url,
      { 'content-type': 'application/json', 'user-agent': 'telnyx-webhooks', ...this.signHeaders(body) },
      body,
    );
  }

  private message(
    id: string,
    direction: string,
    from: string,
    to: string,
    text: string | undefined,
    media: string[],
    status: string,
  ) {
    return {
      record_type: 'message',
      id,
      direction,
      type: media.length ? 'MMS' : 'SMS',
      from: { phone_number: from, carrier: 'FAKE CARRIER', line_type: 'Wireless' },
      to: [{ phone_number: to, status, carrier: 'FAKE CARRIER', line_type: 'Wireless' }],
      text: text ?? '',
      media: media.map((url) => ({ url, content_type: null, size: null, hash_sha256: null })),
      encoding: 'GSM-7',
      parts: Math.max(1, Math.ceil((text?.length ?? 0) / 153)),
      messaging_profile_id: null,
      cost: null,
      errors: [],
    };
  }

  private errors(code: string, title: string, detail: string) {
    return { errors: [{ code, title, detail }] };
  }
}
