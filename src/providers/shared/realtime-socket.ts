import WebSocket from 'ws';
import { AuthenticationError, ProviderError, RateLimitError, type RoomKitError } from '../../core/errors.js';
import type { RealtimeLogger } from '../../realtime/logger.js';
import { closeQuietly, messageText } from './ws-connection.js';

export interface RealtimeSocketOptions {
  /** Provider name for errors, e.g. 'openai'. */
  provider: string;
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
  /** Give up on the upgrade after this long (default 10 s). */
  connectTimeoutMs?: number;
  logger: RealtimeLogger;
}

export interface SocketCloseInfo {
  code: number;
  reason: string;
  /** We asked for the close (disconnect, swap to a resumed connection). */
  byClient: boolean;
}

/**
 * One JSON-over-WebSocket connection to a realtime vendor: typed upgrade failures, JSON
 * parsing of text and binary frames (Gemini sends binary), and one close callback that says
 * whether we or they closed it. Vendors speak first (`session.created` may share the TCP
 * segment with the upgrade response), so messages are listened for from the very start and
 * buffered until a handler is set.
 */
export class RealtimeSocket {
  private messageHandler?: (message: unknown) => void;
  private early: unknown[] = [];
  private closeHandler?: (info: SocketCloseInfo) => void;
  private earlyClose?: SocketCloseInfo;
  private closingByClient = false;
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: RealtimeSocketOptions,
  ) {
    ws.on('message', (data) => this.handleFrame(data));
    ws.on('close', (code, reason) => {
      this.closed = true;
      const info = { code, reason: reason.toString('utf8'), byClient: this.closingByClient };
      if (this.closeHandler) this.closeHandler(info);
      else this.earlyClose = info;
    });
    // Errors after open always end in 'close', which is where they are reported.
    ws.on('error', (err) => opts.logger.debug({ err, provider: opts.provider }, 'realtime socket error'));
  }

  static open(opts: RealtimeSocketOptions): Promise<RealtimeSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, opts.protocols ?? [], {
        headers: opts.headers,
        handshakeTimeout: opts.connectTimeoutMs ?? 10_000,
        perMessageDeflate: false,
      });
      const socket = new RealtimeSocket(ws, opts);
      let settled = false;
      const fail = (err: RoomKitError) => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(err);
      };
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          fail(upgradeError(opts.provider, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))),
        );
        res.on('error', () => fail(upgradeError(opts.provider, res.statusCode ?? 0, '')));
      });
      ws.once('error', (err) => {
        fail(
          new ProviderError(opts.provider, `connection failed: ${err.message}`, {
            code: 'connection_failed',
            retryable: true,
            cause: err,
          }),
        );
      });
      ws.once('open', () => {
        settled = true;
        resolve(socket);
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  onMessage(handler: (message: unknown) => void): void {
    this.messageHandler = handler;
    const early = this.early;
    this.early = [];
    for (const message of early) handler(message);
  }

  /** Set after onMessage: a close that came first is delivered after the early messages. */
  onClose(handler: (info: SocketCloseInfo) => void): void {
    this.closeHandler = handler;
    if (this.earlyClose) handler(this.earlyClose);
  }

  /** Returns false (and drops the message) when the socket is no longer open. */
  send(message: object): boolean {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Close politely; a peer that does not answer the close frame is cut after 2 s. */
  close(code = 1000, reason = ''): void {
    if (this.closed || this.closingByClient) return;
    this.closingByClient = true;
    closeQuietly(this.ws, code, reason);
    const timer = setTimeout(() => this.ws.terminate(), 2_000);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  private handleFrame(data: WebSocket.RawData): void {
    const text = messageText(data);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      this.opts.logger.warn(
        { err, provider: this.opts.provider, preview: text.slice(0, 80) },
        'realtime message is not JSON; ignored',
      );
      return;
    }
    if (this.messageHandler) this.messageHandler(message);
    else this.early.push(message);
  }
}

function upgradeError(provider: string, status: number, body: string): RoomKitError {
  const detail = body.slice(0, 300).trim() || `HTTP ${status}`;
  if (status === 401 || status === 403)
    return new AuthenticationError(provider, `authentication failed: ${detail}`, status);
  if (status === 429) return new RateLimitError(provider, `rate limited: ${detail}`);
  return new ProviderError(provider, `upgrade rejected (${status}): ${detail}`, {
    status,
    code: 'upgrade_rejected',
  });
}
