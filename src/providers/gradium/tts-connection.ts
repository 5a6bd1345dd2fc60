import type { WebSocket } from 'ws';
import type { ProviderError } from '../../core/errors.js';
import { AsyncQueue } from '../shared/async-queue.js';
import { parseProviderMessage } from '../shared/message-validation.js';
import type { ProviderLogger } from '../shared/provider-logger.js';
import { closeQuietly, connectWebSocket, messageText, sendJson } from '../shared/ws-connection.js';
import { GRADIUM, gradiumCloseError, gradiumServerError } from './gradium-errors.js';
import { GRADIUM_TTS_TYPES, type GradiumTtsMessage, gradiumTtsMessage } from './tts-messages.js';

export interface TtsConnectionConfig {
  url: string;
  apiKey: string;
  logger: ProviderLogger;
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

/** One reply on a shared socket: its own setup, text and end_of_stream, its own messages. */
export class TtsRequest {
  readonly messages = new AsyncQueue<GradiumTtsMessage>();
  private done = false;
  private ended = false;

  constructor(
    readonly id: string,
    private readonly conn: GradiumTtsConnection,
  ) {}

  get active(): boolean {
    return !this.done;
  }

  sendText(text: string): void {
    if (!this.done) this.conn.send({ type: 'text', text, client_req_id: this.id });
  }

  /** No more text: the server finishes the audio, then sends end_of_stream. */
  end(): void {
    // Once only: a second end_of_stream for a finished id is a protocol error that closes the socket.
    if (this.done || this.ended) return;
    this.ended = true;
    this.conn.send({ type: 'end_of_stream', client_req_id: this.id });
  }

  /** Barge-in: nothing more is yielded from this request, whatever the server still sends. */
  abandon(): void {
    if (this.done) return;
    this.end();
    this.finish();
    this.messages.return();
  }

  /** @internal */
  finish(error?: ProviderError): void {
    if (this.done) return;
    this.done = true;
    this.conn.release(this);
    if (error) this.messages.fail(error);
    else this.messages.end();
  }
}

let nextRequest = 1;

/**
 * A Gradium TTS socket opened with `close_ws_on_eos: false` and shared by several replies,
 * each tagged with a client_req_id: no connect + setup round trip per reply.
 */
export class GradiumTtsConnection {
  readonly openedAt = performance.now();
  private readonly requests = new Map<string, TtsRequest>();
  private fatal?: ProviderError;
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly logger: ProviderLogger,
  ) {
    ws.on('message', (data) => {
      const msg = parseProviderMessage(gradiumTtsMessage, messageText(data), logger, GRADIUM_TTS_TYPES);
      if (msg) this.route(msg);
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    ws.on('error', (err) => logger.debug({ err: err.message }, 'gradium tts socket error'));
  }

  static async open(cfg: TtsConnectionConfig): Promise<GradiumTtsConnection> {
    const ws = await connectWebSocket({
      provider: GRADIUM,
      url: cfg.url,
      headers: { 'x-api-key': cfg.apiKey, 'x-api-source': 'roomkit' },
      signal: cfg.signal,
      timeoutMs: cfg.connectTimeoutMs,
    });
    return new GradiumTtsConnection(ws, cfg.logger);
  }

  get usable(): boolean {
    return !this.closed && !this.fatal && this.ws.readyState === this.ws.OPEN;
  }

  get activeRequests(): number {
    return this.requests.size;
  }

  ageS(): number {
    return (performance.now() - this.openedAt) / 1000;
  }

  /** Starts a reply: `setup` with a fresh client_req_id. Text may follow at once (no wait for ready). */
  startRequest(setup: Record<string, unknown>): TtsRequest {
    const id = `roomkit-${nextRequest++}`;
    const request = new TtsRequest(id, this);
    this.requests.set(id, request);
    if (this.fatal || this.closed) {
      request.finish(this.fatal ?? gradiumCloseError(1006, 'socket closed'));
      return request;
    }
    this.send({ type: 'setup', ...setup, client_req_id: id, close_ws_on_eos: false });
    return request;
  }

  /** @internal */
  send(message: Record<string, unknown>): void {
    sendJson(this.ws, message);
  }

  /** @internal */
  release(request: TtsRequest): void {
    this.requests.delete(request.id);
  }

  close(): void {
    this.closed = true;
    closeQuietly(this.ws);
  }

  private route(msg: GradiumTtsMessage): void {
    const request = msg.client_req_id ? this.requests.get(msg.client_req_id) : undefined;
    if (msg.type === 'error') {
      const err = gradiumServerError(msg.code ?? undefined, msg.message);
      if (request) request.finish(err);
      else this.failAll(err);
      return;
    }
    if (!request) return; // an abandoned reply still streaming: drop it
    if (msg.type === 'end_of_stream') request.finish();
    else request.messages.push(msg);
  }

  private failAll(err: ProviderError): void {
    this.fatal = err;
    for (const r of [...this.requests.values()]) r.finish(err);
  }

  private onClose(code: number, reason: string): void {
    this.closed = true;
    this.logger.debug({ code, reason }, 'gradium tts socket closed');
    const err = this.fatal ?? gradiumCloseError(code, reason);
    for (const r of [...this.requests.values()]) r.finish(err);
  }
}
