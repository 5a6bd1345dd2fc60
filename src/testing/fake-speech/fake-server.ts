import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { requestUrl } from '../fake-ai/request-url.js';

interface Outbox {
  items: { due: number; fn: () => void }[];
  lastDue: number;
  armed: boolean;
}

/** One message a client sent, as the fake received it. */
export type ReceivedMessage =
  | { kind: 'json'; at: number; data: Record<string, unknown> }
  | { kind: 'text'; at: number; data: string }
  | { kind: 'binary'; at: number; data: Uint8Array };

/** One message the fake sent (JSON, or binary audio). */
export type SentMessage = { at: number; data: Record<string, unknown> | Uint8Array };

/** One client connection: what it asked for and everything that went each way. */
export interface FakeConnection {
  id: number;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  received: ReceivedMessage[];
  sent: SentMessage[];
  /** Set once the socket is closed (by either side); 1006 when it was dropped. */
  closeCode?: number;
  socket: WebSocket;
}

export interface FakeServerOptions {
  /** Keys the fake accepts (default ['test-key']). */
  apiKeys?: string[];
  /** Fixed delay added to every message the fake sends, in ms (default 0). */
  latencyMs?: number;
  /**
   * Drop a socket (no close frame, as a vendor's load balancer does) once nothing has gone
   * either way on it for this long, in ms (default: never).
   */
  dropIdleAfterMs?: number;
}

/**
 * The shared base of the fake speech servers: a real HTTP + WebSocket server on
 * 127.0.0.1 with an ephemeral port, a log of every connection and message both ways,
 * an ordered outbound queue with a fixed latency knob, and fault injection that does not
 * depend on the protocol (refused handshakes, dropped sockets). Protocol fakes subclass
 * it and implement `accept` (and `handleHttp` for REST endpoints).
 */
export abstract class FakeSpeechServer {
  readonly connections: FakeConnection[] = [];
  /** Mutable at run time, e.g. to model a slow network for one test. */
  latencyMs: number;
  /** Mutable at run time; see FakeServerOptions.dropIdleAfterMs. */
  dropIdleAfterMs: number | undefined;
  private readonly idleTimers = new WeakMap<FakeConnection, NodeJS.Timeout>();
  protected readonly apiKeys: Set<string>;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly outboxes = new WeakMap<FakeConnection, Outbox>();
  private refusals: { status: number; remaining: number } | undefined;
  private port = 0;

  constructor(opts: FakeServerOptions = {}) {
    this.apiKeys = new Set(opts.apiKeys ?? ['test-key']);
    this.latencyMs = opts.latencyMs ?? 0;
    this.dropIdleAfterMs = opts.dropIdleAfterMs;
    this.http = createServer((req, res) => {
      void this.routeHttp(req, res);
    });
    this.http.on('upgrade', (req, socket, head) => {
      const url = requestUrl(req);
      const refusal = this.takeRefusal() ?? this.checkUpgrade(url, req);
      if (refusal) {
        socket.end(
          `HTTP/1.1 ${refusal.status} Refused\r\nContent-Type: text/plain\r\nConnection: close\r\n` +
            Object.entries(refusal.headers ?? {})
              .map(([k, v]) => `${k}: ${v}\r\n`)
              .join('') +
            `Content-Length: ${Buffer.byteLength(refusal.body)}\r\n\r\n${refusal.body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req, url));
    });
  }

  /** Starts listening on 127.0.0.1 with a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  /** `ws://127.0.0.1:<port>`: append the protocol path. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections that are still open. */
  get openConnections(): FakeConnection[] {
    return this.connections.filter((c) => c.closeCode === undefined);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** The next `count` handshakes fail with this HTTP status (e.g. 503 for an outage). */
  refuseConnections(count: number, status = 503): void {
    this.refusals = { status, remaining: count };
  }

  /** Kills every open socket without a close frame, as a network failure would (client sees 1006). */
  dropAll(): void {
    for (const c of this.openConnections) c.socket.terminate();
  }

  /**
   * Queues a JSON message (or binary frame) for a connection. Messages leave in order,
   * each no earlier than `latencyMs` after it was queued and `extraDelayMs` after the previous one.
   */
  protected send(conn: FakeConnection, data: Record<string, unknown> | Uint8Array, extraDelayMs = 0): void {
    this.schedule(conn, extraDelayMs, () => {
      if (conn.socket.readyState !== WebSocket.OPEN) return;
      conn.sent.push({ at: performance.now(), data });
      conn.socket.send(data instanceof Uint8Array ? data : JSON.stringify(data));
      this.touchIdle(conn);
    });
  }

  /** Queues a close behind everything already queued for the connection. */
  protected closeAfterSends(conn: FakeConnection, code: number, reason = ''): void {
    this.schedule(conn, 0, () => {
      if (conn.socket.readyState === WebSocket.OPEN) conn.socket.close(code, reason);
    });
  }

  /** Runs `fn` in this connection's outbound order, no earlier than the latency allows. */
  protected schedule(conn: FakeConnection, extraDelayMs: number, fn: () => void): void {
    let box = this.outboxes.get(conn);
    if (!box) {
      box = { items: [], lastDue: 0, armed: false };
      this.outboxes.set(conn, box);
    }
    // The extra delay spaces this message from the one before it (a slow generator), in order.
    const due = Math.max(performance.now() + this.latencyMs, box.lastDue) + extraDelayMs;
    box.lastDue = due;
    box.items.push({ due, fn });
    this.arm(box);
  }

  /** One timer per connection, strictly FIFO: independent timers could reorder equal deadlines. */
  private arm(box: Outbox): void {
    if (box.armed || box.items.length === 0) return;
    box.armed = true;
    const run = () => {
      box.armed = false;
      while (box.items.length > 0 && box.items[0].due <= performance.now() + 0.5) box.items.shift()?.fn();
      this.arm(box);
    };
    const wait = box.items[0].due - performance.now();
    if (wait <= 0.5) queueMicrotask(run);
    else setTimeout(run, wait);
  }

  protected isValidKey(key: string | undefined | null): boolean {
    return key !== undefined && key !== null && this.apiKeys.has(key);
  }

  /** Decides at the HTTP upgrade; return a refusal to reject the handshake. */
  protected checkUpgrade(
    _url: URL,
    _req: IncomingMessage,
  ): { status: number; body: string; headers?: Record<string, string> } | undefined {
    return undefined;
  }

  /** A new WebSocket connection on a protocol path. */
  protected abstract accept(conn: FakeConnection): void;

  /** Handles a JSON (or text) client message. */
  protected abstract onMessage(conn: FakeConnection, message: ReceivedMessage): void;

  /** REST endpoints; the default answers 404. */
  protected async handleHttp(_req: IncomingMessage, res: ServerResponse, _url: URL): Promise<void> {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
  }

  /** Called once a connection is closed; subclasses clear timers here. */
  protected onClosed(_conn: FakeConnection): void {}

  private async routeHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.handleHttp(req, res, requestUrl(req));
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  }

  private takeRefusal(): { status: number; body: string; headers?: Record<string, string> } | undefined {
    if (!this.refusals || this.refusals.remaining <= 0) return undefined;
    this.refusals.remaining--;
    return { status: this.refusals.status, body: 'injected failure' };
  }

  private onSocket(socket: WebSocket, req: IncomingMessage, url: URL): void {
    const conn: FakeConnection = {
      id: this.connections.length + 1,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      received: [],
      sent: [],
      socket,
    };
    this.connections.push(conn);
    socket.on('message', (data, isBinary) => {
      const at = performance.now();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      let message: ReceivedMessage;
      if (isBinary) {
        message = { kind: 'binary', at, data: new Uint8Array(buf) };
      } else {
        const text = buf.toString('utf8');
        message = { kind: 'text', at, data: text };
        try {
          const json = JSON.parse(text);
          if (json && typeof json === 'object' && !Array.isArray(json))
            message = { kind: 'json', at, data: json };
        } catch {
          // stays a text message; the protocol decides whether that is an error
        }
      }
      conn.received.push(message);
      this.touchIdle(conn);
      this.onMessage(conn, message);
    });
    socket.on('close', (code) => {
      conn.closeCode = code;
      clearTimeout(this.idleTimers.get(conn));
      this.onClosed(conn);
    });
    socket.on('error', () => {});
    this.touchIdle(conn);
    this.accept(conn);
  }

  /** Restarts the idle clock of a connection (see dropIdleAfterMs). */
  private touchIdle(conn: FakeConnection): void {
    clearTimeout(this.idleTimers.get(conn));
    const after = this.dropIdleAfterMs;
    if (after === undefined || conn.closeCode !== undefined) return;
    const timer = setTimeout(() => conn.socket.terminate(), after);
    timer.unref();
    this.idleTimers.set(conn, timer);
  }
}

/** Received JSON messages of one type (the common assertion in tests). */
export function receivedOfType(conn: FakeConnection, type: string): Record<string, unknown>[] {
  return conn.received.flatMap((m) => (m.kind === 'json' && m.data.type === type ? [m.data] : []));
}

/** Sent JSON messages of one type. */
export function sentOfType(conn: FakeConnection, type: string): Record<string, unknown>[] {
  return conn.sent.flatMap((m) => (!(m.data instanceof Uint8Array) && m.data.type === type ? [m.data] : []));
}
