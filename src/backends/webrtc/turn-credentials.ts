import { createHmac } from 'node:crypto';
import { ValidationError } from '../../core/errors.js';
import type { IceServer } from './webrtc-protocol.js';

/** Default lifetime of minted TURN credentials: one day, as the TURN REST draft recommends. */
export const DEFAULT_TURN_CREDENTIAL_TTL_SECONDS = 86_400;

export interface TurnRestCredentials {
  /** `<unix expiry>:<user>`: coturn refuses it after the expiry. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
}

/**
 * Short-lived TURN credentials from a secret shared with the TURN server: the "TURN REST API"
 * scheme coturn implements with `use-auth-secret` + `static-auth-secret=<secret>`. The browser
 * only ever sees a credential that expires; the secret stays on the server. `user` is only a
 * label (coturn logs it); ':' in it is replaced, since the first ':' ends the expiry.
 */
export function turnRestCredentials(
  secret: string,
  user: string,
  ttlSeconds: number = DEFAULT_TURN_CREDENTIAL_TTL_SECONDS,
  now: number = Date.now(),
): TurnRestCredentials {
  if (!secret) throw new ValidationError('turnRestCredentials needs the shared secret');
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
    throw new ValidationError(
      `turnRestCredentials: ttlSeconds must be a positive integer (got ${ttlSeconds})`,
    );
  }
  const expiry = Math.floor(now / 1000) + ttlSeconds;
  const username = `${expiry}:${user.replace(/:/g, '_')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** True for `turn:`/`turns:` URLs (the entries that need credentials). */
export function isTurnUrl(url: string): boolean {
  return /^turns?:/i.test(url.trim());
}

/**
 * `servers` with fresh REST credentials on every entry that lists a TURN URL and has no
 * username of its own (STUN entries and entries with explicit credentials are left as they are).
 */
export function withTurnRestCredentials(
  servers: readonly IceServer[],
  secret: string,
  user: string,
  ttlSeconds?: number,
  now?: number,
): IceServer[] {
  return servers.map((server) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    if (server.username !== undefined || !urls.some(isTurnUrl)) return { ...server };
    return { ...server, ...turnRestCredentials(secret, user, ttlSeconds, now) };
  });
}
