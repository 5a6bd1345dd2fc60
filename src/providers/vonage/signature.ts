/**
 * Vonage signs Messages API webhooks with a JWT in `Authorization: Bearer`, HS256 with the
 * account's signature secret. Its claims carry `iat`, a unique `jti` and `payload_hash` (hex
 * SHA-256 of the body), so one check covers origin, integrity and replay.
 */
import { createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import { headerValue, WebhookAuthError, type WebhookRequest } from '../shared/webhook-request.js';
import { assertFresh, safeEqual } from '../shared/webhook-signature.js';

/** Verify a signed Vonage webhook; returns the replay key (throws WebhookAuthError). */
export async function checkVonageRequest(
  signatureSecret: string | undefined,
  req: WebhookRequest,
  toleranceMs?: number,
): Promise<string> {
  if (!signatureSecret)
    throw new WebhookAuthError('vonage', 'not_configured', 'no signature secret (VONAGE_SIGNATURE_SECRET)');
  const auth = headerValue(req, 'authorization');
  const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  if (!token) throw new WebhookAuthError('vonage', 'missing_signature');
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(signatureSecret), {
      algorithms: ['HS256'],
    }));
  } catch {
    throw new WebhookAuthError('vonage', 'bad_signature');
  }
  const hash = createHash('sha256').update(req.rawBody).digest('hex');
  if (typeof claims.payload_hash !== 'string' || !safeEqual(claims.payload_hash, hash)) {
    throw new WebhookAuthError('vonage', 'bad_signature', 'payload_hash does not match the body');
  }
  if (typeof claims.iat !== 'number') throw new WebhookAuthError('vonage', 'bad_signature', 'no iat');
  assertFresh('vonage', claims.iat * 1000, toleranceMs);
  return `vonage:${typeof claims.jti === 'string' ? claims.jti : token}`;
}

/**
 * The Voice API's signed requests (answer and event webhooks, and the WebSocket handshake when
 * the endpoint asks for `authorization: { type: 'vonage' }`): the same HS256 JWT. A body, when
 * there is one, must match `payload_hash`; a bodiless request (a GET answer, the handshake)
 * is proven by the token alone. Returns the replay key (the JWT id).
 */
export async function checkVonageVoiceRequest(
  signatureSecret: string | undefined,
  authorization: string | undefined,
  rawBody: Buffer,
  toleranceMs?: number,
): Promise<string> {
  if (!signatureSecret)
    throw new WebhookAuthError('vonage', 'not_configured', 'no signature secret (VONAGE_SIGNATURE_SECRET)');
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
  if (!token) throw new WebhookAuthError('vonage', 'missing_signature');
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(signatureSecret), {
      algorithms: ['HS256'],
    }));
  } catch {
    throw new WebhookAuthError('vonage', 'bad_signature');
  }
  if (rawBody.length > 0 || typeof claims.payload_hash === 'string') {
    const hash = createHash('sha256').update(rawBody).digest('hex');
    if (typeof claims.payload_hash !== 'string' || !safeEqual(claims.payload_hash, hash))
      throw new WebhookAuthError('vonage', 'bad_signature', 'payload_hash does not match the body');
  }
  if (typeof claims.iat !== 'number') throw new WebhookAuthError('vonage', 'bad_signature', 'no iat');
  assertFresh('vonage', claims.iat * 1000, toleranceMs);
  return `vonage:${typeof claims.jti === 'string' ? claims.jti : token}`;
}
