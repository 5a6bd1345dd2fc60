/**
 * Exotel signs neither its applet requests nor the stream's WebSocket handshake. What it
 * offers is HTTP Basic auth (credentials written into the URL we configure, sent as
 * `Authorization: Basic`) and IP allow-listing. So both are checked with Basic auth, and
 * replays are refused by what is unique: a call's CallSid answers once, a stream URL works once.
 */
import { headerValue, WebhookAuthError, type WebhookRequest } from '../shared/webhook-request.js';
import { safeEqual } from '../shared/webhook-signature.js';

export interface ExotelStreamAuth {
  username: string;
  password: string;
}

/** Throws WebhookAuthError unless `authorization` carries these Basic credentials. */
export function checkExotelBasicAuth(
  auth: ExotelStreamAuth | undefined,
  authorization: string | undefined,
): void {
  if (!auth) throw new WebhookAuthError('exotel', 'not_configured', 'no stream credentials');
  if (!authorization?.startsWith('Basic ')) throw new WebhookAuthError('exotel', 'missing_signature');
  const expected = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  if (!safeEqual(authorization.slice(6).trim(), expected))
    throw new WebhookAuthError('exotel', 'bad_signature');
}

export function checkExotelRequest(auth: ExotelStreamAuth | undefined, req: WebhookRequest): void {
  checkExotelBasicAuth(auth, headerValue(req, 'authorization'));
}
