import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type WebSocket, WebSocketServer } from 'ws';
import { type FakeReply, type FakeTurn, peakAmplitude, type ReplyChunk, renderReply } from './script.js';
import { requestUrl } from '../fake-ai/request-url.js';

export interface RecordedMessage {
  /** performance.now() when the frame was received / actually written to the socket. */
  at: number;
  message: any;
}

export interface FakeRealtimeServerOptions {
  /** Fixed delay before every server -> client message (default 0). */
  latencyMs?: number;
  /** Turns played in order, one per user utterance; `defaultTurn` once they run out. */
  turns?: FakeTurn[];
  defaultTurn?: FakeTurn;
  /** Peak amplitude from which input audio counts as speech (default 1000). */
  speechThreshold?: number;
  /**
   * On barge-in, send one more chunk of the cut answer, as audio already in flight on a real
   * connection arrives after the interruption (default true): clients must drop it.
   */
  lateAudioAfterInterruption?: boolean;
  /**
   * Serve TLS (`wss://`, `https://`) with this key and certificate, for clients that only
   * dial secure URLs (the official OpenAI SDK turns every realtime URL into wss).
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** One client connection, with everything it sent and received. */
export class FakeRealtimeConnection<S = unknown> {
  readonly received: RecordedMessage[] = [];
  readonly sent: RecordedMessage[] = [];
  closed = false;
  closeCode?: number;
  closeReason?: string;
  /** Milliseconds of input audio received so far. */
  inputMs = 0;
  speaking = false;
  responding = false;
  cancelled = false;
  /** A tool call waiting for its result, and the turn it belongs to. */
  pendingTool?: { callId: string; turn: FakeTurn };
  /** Resumes a paused reply. */
  resume?: () => void;
  /** The reply being played, until it has ended (completed or cancelled). */
  replyInFlight?: Promise<void>;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    readonly url: URL,
    readonly headers: IncomingHttpHeaders,
    readonly state: S,
  ) {}

  /** Messages the client sent, optionally only those matching. */
  messages(predicate: (m: any) => boolean = () => true): any[] {
    return this.received.map((r) => r.message).filter(predicate);
  }
}

/**
 * Shared machinery of the fake realtime servers: a real `ws` server on 127.0.0.1 (port 0),
 * recording of both directions, fixed latency, dropped connections, and the turn engine
 * (energy VAD on the user's audio -> scripted transcript, reply audio, tool calls, barge-in).
 * Each protocol subclass only renders those steps in its vendor's exact messages.
 */
export abstract class FakeRealtimeServer<S = unknown> {
  readonly connections: FakeRealtimeConnection<S>[] = [];
  readonly turns: FakeTurn[];
  latencyMs: number;
  protected readonly options: FakeRealtimeServerOptions;
  private readonly http: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly listeners = new Set<() => void>();
  private toolCounter = 0;

  constructor(options: FakeRealtimeServerOptions = {}) {
    this.options = options;
    this.turns = [...(options.turns ?? [])];
    this.latencyMs = options.latencyMs ?? 0;
    const route = (req: IncomingMessage, res: ServerResponse) => this.routeHttp(req, res);
    this.http = options.tls ? https.createServer(options.tls, route) : http.createServer(route);
    this.http.on('upgrade', (req, socket, head) => {
      const url = requestUrl(req);
      const rejection = this.checkUpgrade(req, url);
      if (rejection) {
        socket.end(
          `HTTP/1.1 ${rejection.status} ${http.STATUS_CODES[rejection.status] ?? ''}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(rejection.body)}\r\n` +
            `Connection: close\r\n\r\n${rejection.body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, url));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** ws://127.0.0.1:<port> (wss:// with `tls`) */
  get url(): string {
    return `${this.options.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}`;
  }

  get httpUrl(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Script the next utterances. */
  queueTurn(...turns: FakeTurn[]): void {
    this.turns.push(...turns);
  }

  async waitForConnection(index = 0, timeoutMs = 5_000): Promise<FakeRealtimeConnection<S>> {
    await this.until(() => this.connections.length > index, timeoutMs, `connection #${index}`);
    return this.connections[index];
  }

  /** Resolves with the `count`-th message (over all connections) the predicate accepts. */
  async waitForMessage(
    predicate: (m: any) => boolean,
    opts: { count?: number; timeoutMs?: number } = {},
  ): Promise<any> {
    const count = opts.count ?? 1;
    const matches = () => this.connections.flatMap((c) => c.messages(predicate));
    await this.until(() => matches().length >= count, opts.timeoutMs ?? 5_000, 'client message');
    return matches()[count - 1];
  }

  /** All messages clients sent, over all connections. */
  allReceived(predicate: (m: any) => boolean = () => true): any[] {
    return this.connections.flatMap((c) => c.messages(predicate));
  }

  /** Cut every connection without a close frame (the client sees 1006). */
  dropConnections(): void {
    for (const conn of this.connections) conn.socket.terminate();
  }

  closeConnection(conn: FakeRealtimeConnection<S>, code: number, reason: string): void {
    this.later(() => conn.socket.close(code, reason));
  }

  /** Resume replies held by `pauseAfterChunks`. */
  releaseReply(conn?: FakeRealtimeConnection<S>): void {
    for (const c of conn ? [conn] : this.connections) {
      const resume = c.resume;
      c.resume = undefined;
      resume?.();
    }
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.socket.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Send one JSON message after the fixed latency; recorded when actually written. */
  send(conn: FakeRealtimeConnection<S>, message: object): void {
    this.later(() => {
      if (conn.closed) return;
      conn.sent.push({ at: performance.now(), message });
      conn.socket.send(JSON.stringify(message));
    });
  }

  // ---- protocol hooks ---------------------------------------------------------------

  protected abstract createState(url: URL, req: IncomingMessage): S;
  /** Reject the upgrade (auth, path) with an HTTP status, or accept with undefined. */
  protected abstract checkUpgrade(
    req: IncomingMessage,
    url: URL,
  ): { status: number; body: string } | undefined;
  protected abstract onOpen(conn: FakeRealtimeConnection<S>): void;
  protected abstract onMessage(conn: FakeRealtimeConnection<S>, message: any): void;
  /** PCM rate of reply audio on this connection. */
  protected abstract outputRate(conn: FakeRealtimeConnection<S>): number;
  /** VAD start; `bargeIn` when a reply was in progress (it is cancelled right after). */
  protected abstract onSpeechStarted(conn: FakeRealtimeConnection<S>, bargeIn: boolean): void;
  /** VAD stop; return true to start the next scripted turn now (false: manual turns). */
  protected abstract onSpeechStopped(conn: FakeRealtimeConnection<S>): boolean;
  protected abstract emitUserTranscript(conn: FakeRealtimeConnection<S>, text: string): void;
  protected abstract beginResponse(conn: FakeRealtimeConnection<S>): void;
  protected abstract emitReplyChunk(conn: FakeRealtimeConnection<S>, chunk: ReplyChunk): void;
  protected abstract endResponse(conn: FakeRealtimeConnection<S>, status: 'completed' | 'cancelled'): void;
  protected abstract emitToolCall(
    conn: FakeRealtimeConnection<S>,
    call: { callId: string; name: string; arguments: Record<string, unknown> },
  ): void;
  /** Audio of a cut answer arriving late; by default one more chunk the usual way. */
  protected emitLateChunk(conn: FakeRealtimeConnection<S>, chunk: ReplyChunk): void {
    this.emitReplyChunk(conn, { ...chunk, text: '' });
  }

  /** Whether user speech cuts a reply in progress (Gemini's NO_INTERRUPTION says no). */
  protected allowsBargeIn(_conn: FakeRealtimeConnection<S>): boolean {
    return true;
  }
  /** Plain HTTP endpoints (signed URLs...); return false for 404. */
  protected handleHttp(_req: IncomingMessage, _res: ServerResponse): boolean {
    return false;
  }

  // ---- turn engine --------------------------------------------------------------------

  /**
   * Feed decoded input audio through the energy VAD, 10 ms at a time: a resampler's filter
   * tail can carry a little of the last speech into the next frame, so whole frames are too coarse.
   */
  protected handleUserAudio(conn: FakeRealtimeConnection<S>, pcm: Int16Array, sampleRate: number): void {
    const window = Math.max(1, Math.round(sampleRate / 100));
    for (let i = 0; i < pcm.length; i += window) this.vadStep(conn, pcm.subarray(i, i + window), sampleRate);
  }

  private vadStep(conn: FakeRealtimeConnection<S>, pcm: Int16Array, sampleRate: number): void {
    conn.inputMs += (pcm.length / sampleRate) * 1000;
    const loud = peakAmplitude(pcm) >= (this.options.speechThreshold ?? 1000);
    if (loud && !conn.speaking) {
      conn.speaking = true;
      const bargeIn = conn.responding && this.allowsBargeIn(conn);
      this.onSpeechStarted(conn, bargeIn);
      if (bargeIn) {
        conn.cancelled = true;
        this.releaseReply(conn);
      }
    } else if (!loud && conn.speaking) {
      conn.speaking = false;
      if (this.onSpeechStopped(conn)) void this.runTurn(conn);
    }
  }

  protected nextTurn(): FakeTurn {
    return this.turns.shift() ?? this.options.defaultTurn ?? { userTranscript: 'Hello.', reply: {} };
  }

  /** One user utterance: its transcript, then the answer (or a tool call). */
  protected async runTurn(conn: FakeRealtimeConnection<S>, turn = this.nextTurn()): Promise<void> {
    if (turn.userTranscript) this.emitUserTranscript(conn, turn.userTranscript);
    await this.respond(conn, turn);
  }

  /** The model's side of a turn. */
  protected async respond(conn: FakeRealtimeConnection<S>, turn: FakeTurn): Promise<void> {
    if (!turn.toolCall) return this.playReply(conn, turn.reply ?? {});
    this.toolCounter += 1;
    const callId = turn.toolCall.callId ?? `call_${this.toolCounter}`;
    conn.pendingTool = { callId, turn };
    this.beginResponse(conn);
    this.emitToolCall(conn, { callId, name: turn.toolCall.name, arguments: turn.toolCall.arguments });
    this.endResponse(conn, 'completed');
  }

  /** Protocols call this once the tool result (and, for OpenAI, response.create) arrived. */
  protected async continueAfterTool(conn: FakeRealtimeConnection<S>): Promise<void> {
    const pending = conn.pendingTool;
    conn.pendingTool = undefined;
    await this.playReply(conn, pending?.turn.afterToolResult ?? {});
  }

  /**
   * Plays one answer. A new answer waits for the previous one to wind down: a barge-in
   * releases the held answer, and the user's next utterance can end (and start the next
   * answer) before the cut one has seen its cancellation.
   */
  protected async playReply(conn: FakeRealtimeConnection<S>, reply: FakeReply): Promise<void> {
    while (conn.replyInFlight) await conn.replyInFlight;
    const playing = this.playOneReply(conn, reply);
    conn.replyInFlight = playing;
    try {
      await playing;
    } finally {
      if (conn.replyInFlight === playing) conn.replyInFlight = undefined;
    }
  }

  private async playOneReply(conn: FakeRealtimeConnection<S>, reply: FakeReply): Promise<void> {
    conn.responding = true;
    conn.cancelled = false;
    this.beginResponse(conn);
    let last: ReplyChunk | undefined;
    for (const chunk of renderReply(reply, this.outputRate(conn))) {
      if (conn.cancelled || conn.closed) break;
      this.emitReplyChunk(conn, chunk);
      last = chunk;
      if (!chunk.last && reply.pauseAfterChunks === chunk.index + 1) {
        await new Promise<void>((resolve) => (conn.resume = resolve));
      } else if (reply.chunkIntervalMs) {
        await new Promise((resolve) => setTimeout(resolve, reply.chunkIntervalMs));
      }
    }
    conn.responding = false;
    if (conn.closed) return;
    if (conn.cancelled && last && this.options.lateAudioAfterInterruption !== false)
      this.emitLateChunk(conn, last);
    this.endResponse(conn, conn.cancelled ? 'cancelled' : 'completed');
  }

  // ---- plumbing -----------------------------------------------------------------------

  private accept(ws: WebSocket, req: IncomingMessage, url: URL): void {
    const conn = new FakeRealtimeConnection<S>(
      this.connections.length,
      ws,
      url,
      req.headers,
      this.createState(url, req),
    );
    this.connections.push(conn);
    ws.on('message', (data) => {
      let message: any;
      try {
        message = JSON.parse(data.toString());
      } catch {
        message = { invalidJson: data.toString() };
      }
      conn.received.push({ at: performance.now(), message });
      this.onMessage(conn, message);
      this.notify();
    });
    ws.on('close', (code, reason) => {
      conn.closed = true;
      conn.closeCode = code;
      conn.closeReason = reason.toString();
      this.releaseReply(conn);
      this.notify();
    });
    ws.on('error', () => {});
    this.onOpen(conn);
    this.notify();
  }

  private routeHttp(req: IncomingMessage, res: ServerResponse): void {
    if (this.handleHttp(req, res)) return;
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"not found"}');
  }

  private later(fn: () => void): void {
    if (this.latencyMs > 0) setTimeout(fn, this.latencyMs);
    else fn();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`fake realtime server: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }
}
