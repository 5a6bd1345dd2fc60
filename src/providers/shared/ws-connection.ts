import { WebSocket } from 'ws';
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';

export interface WsConnectOptions {
  /** Provider name, used in every error. */
  provider: string;
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
  signal?: AbortSignal;
  /** Give up on the handshake after this long (default 10 s). */
  timeoutMs?: number;
}

/**
 * Opens a WebSocket and resolves once it is open. Handshake failures become typed errors
 * naming the provider: 401/403 -> AuthenticationError, 429 -> RateLimitError, others ->
 * ProviderError with the status (retryable for 5xx and network failures).
 */
export function connectWebSocket(opts: WsConnectOptions): Promise<WebSocket> {
  const { provider } = opts;
  return new Promise<WebSocket>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    const ws = new WebSocket(opts.url, opts.protocols, {
      headers: opts.headers,
      handshakeTimeout: opts.timeoutMs ?? 10_000,
      perMessageDeflate: false,
      // One message per turn of the event loop: a vendor's burst (a TTS reply's first audio
      // chunks arrive together) reaches the caller message by message, so the first chunk
      // goes out before the rest are parsed (speech bench: first audio in -> first chunk out,
      // median 0.22 -> 0.06 ms), and other calls' work runs between a long burst's messages.
      allowSynchronousEvents: false,
    });
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve(ws);
        return;
      }
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late socket error must not become an unhandled event
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      reject(err);
    };
    const onAbort = () => settle(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      // Frames that came with the handshake (e.g. an auth error sent at once) are emitted on
      // process.nextTick, before the caller's await resumes and attaches its listeners. Hold
      // the socket until the caller has had a turn of the event loop to attach them.
      ws.pause();
      setImmediate(() => ws.resume());
      settle();
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 300);
        settle(handshakeError(provider, res.statusCode ?? 0, body, res.headers));
      });
      res.on('error', () => settle(handshakeError(provider, res.statusCode ?? 0, '', res.headers)));
    });
    ws.once('error', (err) =>
      settle(new ProviderError(provider, `connection failed: ${err.message}`, { cause: err })),
    );
  });
}

function handshakeError(
  provider: string,
  status: number,
  body: string,
  headers: Record<string, string | string[] | undefined>,
): ProviderError {
  const detail = [headers['dg-error'], body].filter(Boolean).join(' ') || `HTTP ${status}`;
  if (status === 401 || status === 403)
    return new AuthenticationError(provider, `authentication failed: ${detail}`, status);
  if (status === 429) {
    const retryAfter = Number(headers['retry-after']);
    return new RateLimitError(
      provider,
      `rate limited: ${detail}`,
      Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
    );
  }
  return new ProviderError(provider, `handshake rejected (${status}): ${detail}`, { status });
}

/** Sends JSON if the socket is open; returns false (instead of throwing) when it is not. */
export function sendJson(ws: WebSocket | undefined, message: unknown): boolean {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(message));
  return true;
}

/** The text of a ws message (ws hands us Buffer, Buffer[] or ArrayBuffer). */
export function messageText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Closes politely if open, and silences any error from a socket we are done with. */
export function closeQuietly(ws: WebSocket | undefined, code = 1000, reason = ''): void {
  if (!ws) return;
  ws.on('error', () => {});
  if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
  else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
}

/** 1000 and 1005 (no status) mean the peer closed on purpose; anything else is a drop or an error. */
export function isNormalClose(code: number): boolean {
  return code === 1000 || code === 1005;
}
