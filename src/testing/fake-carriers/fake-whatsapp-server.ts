/**
 * A fake WhatsApp Business Cloud API (Graph API): `POST /{version}/{phone-number-id}/messages`
 * (text, media, interactive, template, location, and `status: 'read'`), media upload and
 * download by id, Meta's limits and the 24-hour window (a free-form send outside it is
 * accepted, then fails with status error 131047, as the real API does), and webhooks signed
 * with `X-Hub-Signature-256`, plus the `hub.verify_token` handshake.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parseFormBody } from '../../providers/shared/form-body.js';
import { isRecord } from '../../providers/shared/http-errors.js';
import { hubSignature } from '../../providers/whatsapp/signature.js';
import {
  type DispatchedWebhook,
  type FakeCarrierOptions,
  type FakeCarrierReply,
  FakeCarrierServer,
  type FakeInboundSMS,
  type FakeRequest,
  type FakeStatus,
} from './fake-carrier-server.js';

export interface FakeWhatsAppOptions extends FakeCarrierOptions {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  phoneNumberId?: string;
  /** The business number, E.164. */
  phoneNumber?: string;
  apiVersion?: string;
}

const DAY_MS = 24 * 3_600_000;
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];

export class FakeWhatsAppServer extends FakeCarrierServer {
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly phoneNumberId: string;
  readonly apiVersion: string;
  phoneNumber: string;
  /** Message ids our code marked read. */
  readonly reads: string[] = [];
  /** When each user (wa_id) last wrote: the 24-hour window. */
  readonly lastInbound = new Map<string, number>();
  private readonly mimeTypes = new Map<string, string>();

  constructor(opts: FakeWhatsAppOptions = {}) {
    super(opts);
    this.accessToken = opts.accessToken ?? `EAAG${randomBytes(24).toString('hex')}`;
    this.appSecret = opts.appSecret ?? randomBytes(16).toString('hex');
    this.verifyToken = opts.verifyToken ?? randomBytes(8).toString('hex');
    this.phoneNumberId = opts.phoneNumberId ?? String(100000000000000 + Math.floor(Math.random() * 1e9));
    this.phoneNumber = opts.phoneNumber ?? '+15550009999';
    this.apiVersion = opts.apiVersion ?? 'v22.0';
  }

  get providerOptions() {
    return {
      accessToken: this.accessToken,
      appSecret: this.appSecret,
      verifyToken: this.verifyToken,
      phoneNumberId: this.phoneNumberId,
      apiVersion: this.apiVersion,
      baseUrl: this.baseUrl,
    };
  }

  /** Pretend `number` last wrote more than 24 hours ago. */
  closeWindow(number: string): void {
    this.lastInbound.set(number.replace(/^\+/, ''), Date.now() - DAY_MS - 1_000);
  }

  protected async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const prefix = `/${this.apiVersion}/`;
    if (!url.pathname.startsWith(prefix)) return undefined;
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      return {
        status: 401,
        body: this.graphError(
          190,
          'Invalid OAuth access token - Cannot parse access token',
          'OAuthException',
        ),
      };
    }
    const path = url.pathname.slice(prefix.length);
    if (req.method === 'POST' && path === `${this.phoneNumberId}/messages`) return this.messages(req);
    if (req.method === 'POST' && path === `${this.phoneNumberId}/media`) {
      const form = parseFormBody(req.body, req.headers['content-type']);
      const file = form.files[0];
      if (!file || form.fields.messaging_product !== 'whatsapp')
        return { status: 400, body: this.graphError(100, 'Invalid parameter') };
      const id = this.storeMedia(file.data, file.contentType);
      return { status: 200, body: { id } };
    }
    if (req.method === 'GET' && this.media.has(path)) {
      const item = this.media.get(path)!;
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          url: `${this.baseUrl}/fake-media/${path}`,
          mime_type: this.mimeTypes.get(path) ?? item.contentType,
          sha256: createHash('sha256').update(item.data).digest('hex'),
          file_size: item.data.length,
          id: path,
        },
      };
    }
    return undefined;
  }

  protected errorBody(status: number, message: string): unknown {
    return this.graphError(
      status >= 500 ? 2 : status,
      message,
      status >= 500 ? 'OAuthException' : 'GraphMethodException',
    );
  }

  async receiveMessage(message: FakeInboundSMS & { profileName?: string }): Promise<DispatchedWebhook> {
    const items: Record<string, unknown>[] = [];
    if (message.text && !message.media?.length) items.push({ type: 'text', text: { body: message.text } });
    for (const [i, m] of (message.media ?? []).entries()) {
      const type = m.contentType.startsWith('image/')
        ? 'image'
        : m.contentType.startsWith('audio/')
          ? 'audio'
          : m.contentType.startsWith('video/')
            ? 'video'
            : 'document';
      const id = this.storeMedia(m.data, m.contentType);
      items.push({
        type,
        [type]: {
          id,
          mime_type: m.contentType,
          sha256: createHash('sha256').update(m.data).digest('base64'),
          ...(i === 0 && message.text && type !== 'audio' ? { caption: message.text } : {}),
          ...(type === 'document' && m.filename ? { filename: m.filename } : {}),
        },
      });
    }
    return this.inbound(message.from, items, message.profileName);
  }

  /** The user tapped a reply button or picked a list row. */
  receiveReply(
    from: string,
    reply: { id: string; title: string; description?: string },
    kind: 'button' | 'list' = 'button',
  ) {
    const interactive =
      kind === 'button'
        ? { type: 'button_reply', button_reply: { id: reply.id, title: reply.title } }
        : { type: 'list_reply', list_reply: reply };
    return this.inbound(from, [{ type: 'interactive', interactive }]);
  }

  receiveLocation(from: string, location: { latitude: number; longitude: number; name?: string }) {
    return this.inbound(from, [{ type: 'location', location }]);
  }

  async reportStatus(
    messageId: string,
    status: FakeStatus,
    opts: { errorCode?: string } = {},
  ): Promise<DispatchedWebhook> {
    const sent = this.findSent(messageId);
    const failed = status === 'failed' || status === 'undelivered';
    const code = Number(opts.errorCode ?? 131026);
    return this.signedPost(
      this.envelope({
        statuses: [
          {
            id: messageId,
            status: failed ? 'failed' : status,
            timestamp: String(Math.floor(Date.now() / 1000)),
            recipient_id: sent.to.replace(/^\+/, ''),
            ...(typeof sent.raw.biz_opaque_callback_data === 'string'
              ? { biz_opaque_callback_data: sent.raw.biz_opaque_callback_data }
              : {}),
            ...(failed
              ? {
                  errors: [
                    {
                      code,
                      title: code === 131047 ? 'Re-engagement message' : 'Message undeliverable',
                      error_data: { details: 'Message failed to send.' },
                    },
                  ],
                }
              : {}),
          },
        ],
      }),
    );
  }

  /** Meta's subscription check: GET the webhook with hub.mode, hub.verify_token and hub.challenge. */
  verifySubscription(token = this.verifyToken): Promise<DispatchedWebhook> {
    const challenge = String(Math.floor(Math.random() * 1e9));
    const url = `${this.requireWebhookUrl()}?hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=${encodeURIComponent(token)}`;
    return this.post(url, {}, Buffer.alloc(0), 'GET');
  }

  private async messages(req: FakeRequest): Promise<FakeCarrierReply> {
    const body = this.jsonBody(req);
    if (!body) return { status: 400, body: this.graphError(100, 'Invalid parameter') };
    if (body.messaging_product !== 'whatsapp')
      return { status: 400, body: this.graphError(100, 'The parameter messaging_product is required.') };
    if (body.status === 'read') {
      this.reads.push(String(body.message_id));
      return { status: 200, body: { success: true } };
    }
    const to = typeof body.to === 'string' ? body.to : '';
    const type = String(body.type);
    const problem = this.validate(type, body);
    if (!to || problem)
      return {
        status: 400,
        body: this.graphError(
          131009,
          'Parameter value is not valid',
          'OAuthException',
          problem ?? 'to is required',
        ),
      };
    const id = `wamid.${randomBytes(24).toString('base64url')}`;
    const content = isRecord(body[type]) ? (body[type] as Record<string, unknown>) : {};
    const interactiveBody = isRecord(content.body) ? String(content.body.text) : undefined;
    this.accept({
      id,
      to: `+${to}`,
      from: this.phoneNumber,
      text:
        type === 'text'
          ? String(content.body)
          : type === 'template'
            ? `template:${String(content.name)}`
            : (interactiveBody ?? (typeof content.caption === 'string' ? content.caption : undefined)),
      mediaUrls:
        typeof content.link === 'string'
          ? [content.link]
          : typeof content.id === 'string'
            ? [`media-id:${content.id}`]
            : [],
      raw: body,
      at: Date.now(),
    });
    const last = this.lastInbound.get(to);
    if (type !== 'template' && (last === undefined || Date.now() - last > DAY_MS)) {
      // Accepted, then failed: the API does not refuse a free-form send outside the window up front.
      setTimeout(() => void this.reportStatus(id, 'failed', { errorCode: '131047' }).catch(() => {}), 5);
    }
    return {
      status: 200,
      body: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id }] },
    };
  }

  private validate(type: string, body: Record<string, unknown>): string | undefined {
    const content = body[type];
    if (!isRecord(content)) return `${type} object is required`;
    if (type === 'text')
      return typeof content.body === 'string' && content.body.length <= 4096
        ? undefined
        : 'text.body is required (max 4096)';
    if (MEDIA_TYPES.includes(type)) {
      if (typeof content.id === 'string' && !this.media.has(content.id)) return 'unknown media id';
      return typeof content.link === 'string' || typeof content.id === 'string'
        ? undefined
        : 'link or id is required';
    }
    if (type === 'template')
      return typeof content.name === 'string' && isRecord(content.language)
        ? undefined
        : 'template name and language are required';
    if (type === 'location')
      return typeof content.latitude === 'number' && typeof content.longitude === 'number'
        ? undefined
        : 'latitude and longitude are required';
    if (type === 'interactive') {
      const action = isRecord(content.action) ? content.action : {};
      if (content.type === 'button') {
        const buttons = Array.isArray(action.buttons) ? action.buttons : [];
        if (!buttons.length || buttons.length > 3) return 'interactive buttons: 1 to 3';
        if (buttons.some((b) => !isRecord(b) || !isRecord(b.reply) || String(b.reply.title).length > 20))
          return 'button title: max 20 characters';
        return undefined;
      }
      if (content.type === 'list') {
        const rows = (Array.isArray(action.sections) ? action.sections : []).flatMap((s) =>
          isRecord(s) && Array.isArray(s.rows) ? s.rows : [],
        );
        if (!rows.length || rows.length > 10) return 'list rows: 1 to 10';
        if (rows.some((r) => !isRecord(r) || String(r.title).length > 24))
          return 'row title: max 24 characters';
        if (typeof action.button !== 'string' || action.button.length > 20)
          return 'list button: max 20 characters';
        return undefined;
      }
      return 'interactive type must be button or list';
    }
    return `unsupported type ${type}`;
  }

  private inbound(from: string, items: Record<string, unknown>[], profileName = 'Test User') {
    const waId = from.replace(/^\+/, '');
    this.lastInbound.set(waId, Date.now());
    const timestamp = String(Math.floor(Date.now() / 1000));
    return this.signedPost(
      this.envelope({
        contacts: [{ profile: { name: profileName }, wa_id: waId }],
        messages: items.map((item) => ({
          from: waId,
          id: `wamid.${randomBytes(24).toString('base64url')}`,
          timestamp,
          ...item,
        })),
      }),
    );
  }

  private envelope(value: Record<string, unknown>) {
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'WHATSAPP_BUSINESS_ACCOUNT_ID',
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: this.phoneNumber.replace(/^\+/, ''),
                  phone_number_id: this.phoneNumberId,
                },
                ...value,
              },
              field: 'messages',
            },
          ],
        },
      ],
    };
  }

  private signedPost(payload: unknown): Promise<DispatchedWebhook> {
    const body = JSON.stringify(payload);
    return this.post(
      this.requireWebhookUrl(),
      { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(this.appSecret, body) },
      body,
    );
  }

  private storeMedia(data: Buffer, contentType: string): string {
    const id = String(Math.floor(Math.random() * 1e15));
    this.media.set(id, { data, contentType });
    this.mimeTypes.set(id, contentType);
    return id;
  }

  private graphError(code: number, message: string, type = 'OAuthException', details?: string) {
    return {
      error: {
        message: `(#${code}) ${message}`,
        type,
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: randomUUID().replace(/-/g, '').slice(0, 22),
      },
    };
  }
}
