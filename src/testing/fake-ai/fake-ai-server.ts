/**
 * The shared body of the fake vendor servers: a real node:http server on 127.0.0.1, a queue
 * of scripted replies, a log of every request, and an SSE writer that paces and stops when
 * the client goes away. Vendor subclasses only render their wire format.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeAIReply, planReply, type RecordedRequest, type ReplyPlan } from './fake-reply.js';
import { requestUrl } from './request-url.js';

export interface FakeAIServerOptions {
  /** The only key the server accepts. Default 'test-key'. */
  apiKey?: string;
  /** Answer used when the scripted queue is empty. */
  defaultReply?: FakeAIReply;
  /** Initial queue of scripted replies, served in order. */
  replies?: FakeAIReply[];
}

/** An HTTP answer rendered by a vendor fake. */
export interface FakeHttpReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface FakeSSEEvent {
  event?: string;
  /** Serialised as JSON unless it is already a string (e.g. `[DONE]`). */
  data: unknown;
}

/** What a vendor fake knows about a request it routed. */
export interface FakeRequestContext {
  request: RecordedRequest;
  body: Record<string, unknown>;
  stream: boolean;
  /** The model named by the path or the body. */
  model: string;
}

export abstract class FakeAIServer {
  apiKey: string;
  defaultReply: FakeAIReply;
  /** Every request received, in order, including rejected ones. */
  readonly requests: RecordedRequest[] = [];
  /** Responses the client walked away from before they were complete (aborts, early breaks). */
  abandonedResponses = 0;
  private readonly queue: FakeAIReply[];
  private server?: Server;
  private originUrl?: string;

  /** Path prefix the vendor's clients include in their base URL ('/v1', '/v1beta' or ''). */
  protected abstract readonly basePath: string;
  /** SSE line ending the vendor uses. */
  protected readonly lineEnding: string = '\n';

  constructor(opts: FakeAIServerOptions = {}) {
    this.apiKey = opts.apiKey ?? 'test-key';
    this.defaultReply = opts.defaultReply ?? { text: 'Hello from the fake server.' };
    this.queue = [...(opts.replies ?? [])];
  }

  /** Which endpoint a request hits; undefined answers the vendor's 404. */
  protected abstract route(
    request: RecordedRequest,
    body: Record<string, unknown>,
  ): FakeRequestContext | undefined;
  /** Auth and request validation: a vendor error reply, or undefined to go on. */
  protected abstract reject(ctx: FakeRequestContext): FakeHttpReply | undefined;
  protected abstract errorReply(status: number, message: string, type?: string): FakeHttpReply;
  protected abstract completion(ctx: FakeRequestContext, plan: ReplyPlan): unknown;
  protected abstract streamEvents(ctx: FakeRequestContext, plan: ReplyPlan): FakeSSEEvent[];

  /** The URL to hand the matching provider as `baseUrl`. */
  get baseUrl(): string {
    if (!this.originUrl) throw new Error('fake AI server is not started');
    return this.originUrl + this.basePath;
  }

  /** `http://127.0.0.1:<port>` without the vendor path (SDKs that add the version themselves). */
  get origin(): string {
    if (!this.originUrl) throw new Error('fake AI server is not started');
    return this.originUrl;
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests.at(-1);
  }

  /** Script the next replies, served in order before the default reply. */
  enqueue(...replies: FakeAIReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Forget scripted replies and recorded requests. */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.abandonedResponses = 0;
  }

  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) this.send(res, this.errorReply(500, `fake server failure: ${String(err)}`));
        else res.destroy();
      });
    });
    // Vendors keep idle connections for about a minute. Node's 5 s default would close a
    // pooled connection just as a client reuses it, failing a request with a reset.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.originUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.originUrl = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Streams still being paced would keep close() waiting; cut them.
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const raw = await readBody(req);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseJSON(raw),
    };
    this.requests.push(request);
    const body = isObject(request.body) ? request.body : {};
    const ctx = this.route(request, body);
    if (!ctx)
      return this.send(res, this.errorReply(404, `no route for ${request.method} ${request.path}`), request);
    const rejection = this.reject(ctx);
    if (rejection) return this.send(res, rejection, request);
    if (raw && !isObject(request.body))
      return this.send(res, this.errorReply(400, 'request body is not valid JSON'), request);

    const reply = this.queue.shift() ?? this.defaultReply;
    const gone = clientGone(res, () => this.abandonedResponses++);
    if (reply.delayMs && !(await pause(reply.delayMs, gone))) return;
    if (reply.error) {
      const { status, message, type, retryAfterSeconds } = reply.error;
      const answer = this.errorReply(status, message, type);
      if (retryAfterSeconds !== undefined)
        answer.headers = { ...answer.headers, 'retry-after': String(retryAfterSeconds) };
      return this.send(res, answer, request);
    }
    const plan = planReply(reply, request.body);
    if (!ctx.stream) return this.send(res, { status: 200, body: this.completion(ctx, plan) }, request);
    const events = this.streamEvents(ctx, plan);
    request.response = { status: 200, events: [] };
    await this.writeStream(res, events, reply.chunkDelayMs ?? 0, gone, request.response.events);
  }

  private async writeStream(
    res: ServerResponse,
    events: FakeSSEEvent[],
    delayMs: number,
    gone: AbortSignal,
    written: unknown[] = [],
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const nl = this.lineEnding;
    for (const [i, event] of events.entries()) {
      if (i > 0 && delayMs > 0 && !(await pause(delayMs, gone))) return;
      if (gone.aborted) return;
      const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
      written.push(event.data);
      res.write(`${event.event ? `event: ${event.event}${nl}` : ''}data: ${data}${nl}${nl}`);
    }
    res.end();
  }

  private send(res: ServerResponse, reply: FakeHttpReply, request?: RecordedRequest): void {
    if (request) request.response = { status: reply.status, body: reply.body };
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJSON(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Aborts when the client closes the connection before we finished answering. */
function clientGone(res: ServerResponse, onGone: () => void): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (res.writableFinished) return;
    onGone();
    controller.abort();
  });
  return controller.signal;
}

/** Sleep unless the client leaves first; true when it is still there. */
async function pause(ms: number, gone: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: gone });
    return true;
  } catch {
    return false;
  }
}
