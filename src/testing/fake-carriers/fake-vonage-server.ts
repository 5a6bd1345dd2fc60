/**
 * A fake Vonage Messages API: `POST /v1/messages` with Basic auth (answers 202
 * `{ message_uuid }`, errors as RFC 7807 problems), inbound and status webhooks as JSON
 * signed with an HS256 JWT in `Authorization: Bearer` whose `payload_hash` is the body's
 * SHA-256, as Vonage signs them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { isRecord } from '../../providers/shared/http-errors.js';
import {
  type DispatchedWebhook,
  FakeCarrierServer,
  type FakeCarrierOptions,
  type FakeInboundSMS,
  type FakeCarrierReply,
  type FakeRequest,
  type FakeStatus,
} from './fake-carrier-server.js';
import { FakeVonageVoice } from './media-stream/fake-vonage-voice.js';

export interface FakeVonageOptions extends FakeCarrierOptions {
  apiKey?: string;
  apiSecret?: string;
  signatureSecret?: string;
  phoneNumber?: string;
}

const STATUS: Record<FakeStatus, string> = {
  sent: 'submitted',
  delivered: 'delivered',
  read: 'read',
  failed: 'rejected',
  undelivered: 'undeliverable',
};

export class FakeVonageServer extends FakeCarrierServer {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly signatureSecret: string;
  readonly applicationId = randomUUID();
  phoneNumber: string;
  /** Seconds added to the signing clock (negative: old, for stale-request tests). */
  clockSkewSeconds = 0;
  /** Phone calls: NCCO answer webhooks, Voice API WebSockets, the Voice API. */
  readonly voice: FakeVonageVoice;

  constructor(opts: FakeVonageOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? randomBytes(4).toString('hex');
    this.apiSecret = opts.apiSecret ?? randomBytes(8).toString('hex');
    this.signatureSecret = opts.signatureSecret ?? randomBytes(24).toString('hex');
    this.phoneNumber = opts.phoneNumber ?? '+447700900000';
    this.voice = new FakeVonageVoice(this);
  }

  get providerOptions() {
    return {
      apiKey: this.apiKey,
      apiSecret: this.apiSecret,
      signatureSecret: this.signatureSecret,
      fromNumber: this.phoneNumber,
      baseUrl: this.baseUrl,
    };
  }

  protected async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    // Calls (dial, hang up, transfer) are the voice half's.
    const call = await this.voice.api(req, url);
    if (call) return call;
    if (url.pathname !== '/v1/messages' || req.method !== 'POST') return undefined;
    const expected = `Basic ${Buffer.from(`${this.apiKey}:${this.apiSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return {
        status: 401,
        body: this.problem(401, 'Unauthorized', 'You did not provide correct credentials.'),
      };
    const body = this.jsonBody(req);
    if (!body)
      return {
        status: 422,
        body: this.problem(422, 'Invalid params', 'The request body is not valid JSON.', '1000'),
      };
    const { to, from, channel, message_type: type } = body as Record<string, string>;
    if (!to || !from || !channel || !type)
      return {
        status: 422,
        body: this.problem(422, 'Invalid params', 'to, from, channel and message_type are required.', '1000'),
      };
    const image = isRecord(body.image) ? body.image : undefined;
    if (type === 'text' && typeof body.text !== 'string')
      return { status: 422, body: this.problem(422, 'Invalid params', 'text is required.', '1000') };
    if (type === 'image' && typeof image?.url !== 'string')
      return { status: 422, body: this.problem(422, 'Invalid params', 'image.url is required.', '1000') };
    const id = randomUUID();
    this.accept({
      id,
      to: `+${to}`,
      from: `+${from}`,
      text:
        type === 'text' ? String(body.text) : typeof image?.caption === 'string' ? image.caption : undefined,
      mediaUrls: image ? [String(image.url)] : [],
      callbackUrl: typeof body.webhook_url === 'string' ? body.webhook_url : undefined,
      raw: body,
      at: Date.now(),
    });
    return { status: 202, body: { message_uuid: id } };
  }

  protected errorBody(status: number, message: string): unknown {
    return this.problem(status, status >= 500 ? 'Internal Error' : 'Error', message);
  }

  async receiveMessage(message: FakeInboundSMS): Promise<DispatchedWebhook> {
    const media = message.media?.[0];
    const base = {
      to: (message.to ?? this.phoneNumber).replace(/^\+/, ''),
      from: message.from.replace(/^\+/, ''),
      channel: media ? 'mms' : 'sms',
      message_uuid: randomUUID(),
      timestamp: new Date().toISOString(),
    };
    const body = media
      ? {
          ...base,
          message_type: 'image',
          image: {
            url: this.hostMedia(media.data, media.contentType),
            ...(message.text ? { caption: message.text } : {}),
          },
        }
      : {
          ...base,
          message_type: 'text',
          text: message.text ?? '',
          sms: { num_messages: '1', keyword: (message.text ?? '').split(/\s/)[0]!.toUpperCase() },
        };
    return this.postSigned(this.requireWebhookUrl(), body);
  }

  async reportStatus(
    messageId: string,
    status: FakeStatus,
    opts: { errorCode?: string } = {},
  ): Promise<DispatchedWebhook> {
    const sent = this.findSent(messageId);
    const failed = status === 'failed' || status === 'undelivered';
    const code = opts.errorCode ?? '1320';
    return this.postSigned(sent.callbackUrl ?? this.requireWebhookUrl(), {
      message_uuid: messageId,
      to: sent.to.replace(/^\+/, ''),
      from: sent.from.replace(/^\+/, ''),
      timestamp: new Date().toISOString(),
      status: STATUS[status],
      channel: sent.raw.channel,
      ...(typeof sent.raw.client_ref === 'string' ? { client_ref: sent.raw.client_ref } : {}),
      ...(failed
        ? {
            error: {
              type: `https://developer.vonage.com/api-errors/messages#${code}`,
              title: code,
              detail: 'Message not delivered.',
              instance: randomUUID(),
            },
          }
        : {}),
    });
  }

  /** The `Authorization` header Vonage would send with this body. */
  async authorizationFor(body: Buffer | string): Promise<string> {
    const hash = createHash('sha256').update(body).digest('hex');
    const token = await new SignJWT({
      payload_hash: hash,
      api_key: this.apiKey,
      application_id: this.applicationId,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(Math.floor(Date.now() / 1000) + this.clockSkewSeconds)
      .setJti(randomUUID())
      .setIssuer('Vonage')
      .sign(new TextEncoder().encode(this.signatureSecret));
    return `Bearer ${token}`;
  }

  private async postSigned(url: string, payload: Record<string, unknown>): Promise<DispatchedWebhook> {
    const body = JSON.stringify(payload);
    return this.post(
      url,
      { 'content-type': 'application/json', authorization: await this.authorizationFor(body) },
      body,
    );
  }

  private problem(status: number, title: string, detail: string, code = String(status)) {
    return { type: `https://developer.vonage.com/api-errors#${code}`, title, detail, instance: randomUUID() };
  }
}
