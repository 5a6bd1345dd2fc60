import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The credential a WebSocket client sent: `Authorization: Bearer <t>`, else `?token=<t>`. */
export function upgradeToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? undefined);
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

/** Answer an upgrade with a plain HTTP refusal and close the socket. */
export function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404 = 401): void {
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
