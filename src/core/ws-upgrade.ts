import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The credential a WebSocket client sent: `Authorization: Bearer <t>`, else `?token=<t>`. */
export function upgradeToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? undefined);
}

/**
 * The request target as a URL, or undefined when it is malformed (`//host:99999/`,
 * `http://[`): `new URL` throws on those, and a throw inside an 'upgrade' listener kills
 * the process. A target starting with `//` is refused too: it reads as a host, not a path.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const target = req.url ?? '/';
  try {
    // Absolute form (`GET http://host/path`, what proxies send): only its path and query count.
    if (/^https?:\/\//i.test(target)) {
      const absolute = new URL(target);
      return new URL(`http://localhost${absolute.pathname}${absolute.search}`);
    }
    if (!target.startsWith('/') || target.startsWith('//')) return undefined;
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

/** A request target safe to log: credentials in the query are replaced, length is capped. */
export function redactUrl(target: string | undefined): string {
  return (target ?? '')
    .slice(0, 300)
    .replace(/([?&](?:token|access_token|key|secret)=)[^&#]*/gi, '$1[redacted]');
}

/**
 * Runs a server's authenticate callback for an upgrade request. A callback that throws
 * counts as a refusal (reported through `onError`), so a bug there never opens the door.
 */
export async function authenticateUpgrade<T>(
  req: IncomingMessage,
  url: URL,
  authenticate: (
    req: IncomingMessage,
    token: string | undefined,
  ) => Promise<T | null | undefined> | T | null | undefined,
  onError: (error: unknown) => void,
): Promise<T | undefined> {
  try {
    return (await authenticate(req, upgradeToken(req, url))) ?? undefined;
  } catch (error) {
    onError(error);
    return undefined;
  }
}

const STATUS_TEXT = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
} as const;

/** Why an upgrade was refused, for a client that reads the response (a JSON body, and `Retry-After`). */
export interface UpgradeRefusal {
  code: string;
  message: string;
  /** When to try again, seconds. */
  retryAfterS?: number;
}

/** Answer an upgrade with an HTTP refusal and close the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: keyof typeof STATUS_TEXT = 401,
  refusal?: UpgradeRefusal,
): void {
  if (socket.destroyed) return;
  socket.on('error', () => {}); // the client may already be gone; nothing to report
  const body = refusal ? JSON.stringify({ error: { code: refusal.code, message: refusal.message } }) : '';
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}`,
    ...(refusal?.retryAfterS === undefined ? [] : [`Retry-After: ${refusal.retryAfterS}`]),
    ...(body ? ['Content-Type: application/json'] : []),
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
