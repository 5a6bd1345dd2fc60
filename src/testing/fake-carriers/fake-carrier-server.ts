/**
 * The shared body of the fake messaging vendors (Twilio, Telnyx, Vonage, WhatsApp Cloud): a
 * real HTTP server on 127.0.0.1 serving the vendor's REST send API and its media, a log of
 * what our code sent, outage switches (answer 5xx for a while), and a webhook dispatcher that
 * posts correctly signed inbound messages and status callbacks to our endpoint, and can
 * replay or tamper with them. Vendor subclasses only render the wire format.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCarrierOptions {
  /** Where the app's webhook for this vendor is (inbound messages; default status callbacks). */
  webhookUrl?: string;
  /** Status callbacks to send by themselves after each accepted message, e.g. ['sent', 'delivered']. */
  autoStatuses?: readonly FakeStatus[];
}

export type FakeStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

/** A message our code sent through the fake's REST API. */
export interface FakeSentMessage {
  id: string;
  to: string;
  from: string;
  text?: string;
  mediaUrls: string[];
  /** Where this message's status callbacks go. */
  callbackUrl?: string;
  /** The request body as the vendor saw it (form fields or JSON). */
  raw: Record<string, unknown>;
  at: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface FakeCarrierReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A webhook the fake posted to our code, and what our code answered. */
export interface DispatchedWebhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  response: { status: number; body: string };
}

export interface FakeInboundSMS {
  from: string;
  text?: string;
  /** Default: the fake's own number (the app's `fromNumber`). */
  to?: string;
  media?: { data: Buffer; contentType: string; filename?: string }[];
}

export abstract class FakeCarrierServer {
  webhookUrl?: string;
  autoStatuses: readonly FakeStatus[];
  /** Every request received, in order, including refused ones. */
  readonly requests: FakeRequest[] = [];
  /** Messages accepted through the REST API, in order. */
  readonly sent: FakeSentMessage[] = [];
  /** Webhooks posted to our code, in order. */
  readonly webhooks: DispatchedWebhook[] = [];
  protected readonly media = new Map<string, { data: Buffer; contentType: string }>();
  private server?: Server;
  private origin?: string;
  private failures: { remaining: number; status: number } = { remaining: 0, status: 503 };
  private down?: number;

  constructor(opts: FakeCarrierOptions = {}) {
    this.webhookUrl = opts.webhookUrl;
    this.autoStatuses = opts.autoStatuses ?? [];
  }

  /** Render the vendor's REST API: a reply, or undefined for its 404. */
  protected abstract api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined>;
  /** The vendor's error body for a status (outages, auth failures). */
  protected abstract errorBody(status: number, message: string): unknown;
  /** Post a signed inbound message; returns what our code answered. */
  abstract receiveMessage(message: FakeInboundSMS): Promise<DispatchedWebhook>;
  /** Post a signed status callback for a message our code sent. */
  abstract reportStatus(
    messageId: string,
    status: FakeStatus,
    opts?: { errorCode?: string },
  ): Promise<DispatchedWebhook>;

  get baseUrl(): string {
    if (!this.origin) throw new Error('fake carrier server is not started');
    return this.origin;
  }

  /** The next `count` REST calls answer `status` (default 503), then it recovers. */
  failNext(count: number, status = 503): this {
    this.failures = { remaining: count, status };
    return this;
  }

  /** Every REST call answers `status` until `recover()`. */
  outage(status = 503): this {
    this.down = status;
    return this;
  }

  recover(): this {
    this.down = undefined;
    this.failures.remaining = 0;
    return this;
  }

  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error) =>
        this.reply(res, { status: 500, body: this.errorBody(500, String(error)) }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.origin = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Post a webhook again, byte for byte (a replay attack, or a vendor retry). */
  replay(webhook: DispatchedWebhook): Promise<DispatchedWebhook> {
    return this.post(webhook.url, webhook.headers, webhook.body, webhook.method);
  }

  /** Host a file at a URL the way the vendor hosts inbound media. */
  hostMedia(data: Buffer, contentType: string): string {
    const id = randomUUID();
    this.media.set(id, { data, contentType });
    return `${this.baseUrl}/fake-media/${id}`;
  }

  /** Post to our code as the vendor would (signed or not, as the caller made it). */
  async post(
    url: string,
    headers: Record<string, string>,
    body: Buffer | string,
    method = 'POST',
  ): Promise<DispatchedWebhook> {
    const dispatched = await postWebhook(url, headers, body, method);
    this.webhooks.push(dispatched);
    return dispatched;
  }

  /** The request's JSON object body, or undefined when it is not one (the vendor's 400). */
  protected jsonBody(req: FakeRequest): Record<string, unknown> | undefined {
    try {
      const parsed = JSON.parse(req.body.toString('utf8')) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  protected requireWebhookUrl(): string {
    if (!this.webhookUrl) throw new Error('set webhookUrl on the fake before dispatching webhooks');
    return this.webhookUrl;
  }

  /** Record an accepted message and schedule its automatic status callbacks. */
  protected accept(message: FakeSentMessage): void {
    this.sent.push(message);
    if (!this.autoStatuses.length) return;
    void (async () => {
      for (const status of this.autoStatuses) {
        await new Promise((r) => setTimeout(r, 5));
        if (!this.server) return;
        await this.reportStatus(message.id, status).catch(() => {});
      }
    })();
  }

  protected findSent(messageId: string): FakeSentMessage {
    const message = this.sent.find((m) => m.id === messageId);
    if (!message) throw new Error(`no message ${messageId} was sent through the fake`);
    return message;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    this.requests.push(request);
    if (url.pathname.startsWith('/fake-media/')) {
      const item = this.media.get(url.pathname.slice('/fake-media/'.length));
      if (!item) return this.reply(res, { status: 404, body: this.errorBody(404, 'no such media') });
      res.writeHead(200, { 'content-type': item.contentType, 'content-length': String(item.data.length) });
      res.end(item.data);
      return;
    }
    const outage = this.down ?? (this.failures.remaining > 0 ? this.failures.status : undefined);
    if (outage !== undefined) {
      if (this.failures.remaining > 0) this.failures.remaining--;
      return this.reply(res, { status: outage, body: this.errorBody(outage, 'service unavailable') });
    }
    const reply = await this.api(request, url);
    this.reply(
      res,
      reply ?? { status: 404, body: this.errorBody(404, `no route for ${request.method} ${request.path}`) },
    );
  }

  private reply(res: ServerResponse, reply: FakeCarrierReply): void {
    if (res.headersSent) return;
    const body =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

/** Send one webhook request to our code and record what it answered (bounded by a deadline). */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: Buffer | string,
  method = 'POST',
): Promise<DispatchedWebhook> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const response = await fetch(url, {
    method,
    headers,
    body: method === 'GET' ? undefined : bytes,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    url,
    method,
    headers,
    body: bytes,
    response: { status: response.status, body: await response.text() },
  };
}
