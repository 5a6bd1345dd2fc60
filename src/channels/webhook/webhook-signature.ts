/**
 * How roomkit signs webhooks (both ways): `X-RoomKit-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<raw body>">`, the scheme Stripe made familiar. The timestamp bounds
 * replays; several `v1=` values are accepted so a secret can be rotated without downtime.
 */
import {
  headerValue,
  WebhookAuthError,
  type WebhookRequest,
} from '../../providers/shared/webhook-request.js';
import { assertFresh, hmac, safeEqual } from '../../providers/shared/webhook-signature.js';

export const ROOMKIT_SIGNATURE_HEADER = 'x-roomkit-signature';

/** The header value for `body` signed now (or at `timestamp`, Unix seconds). */
export function signWebhookBody(
  secret: string,
  body: string | Buffer,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const payload = Buffer.concat([
    Buffer.from(`${timestamp}.`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);
  return `t=${timestamp},v1=${hmac('sha256', secret, payload, 'hex')}`;
}

/**
 * Check a signature header against the raw body with any of `secrets`; returns the signed
 * timestamp (ms). Throws WebhookAuthError: missing, bad, or older than `toleranceMs`.
 */
export function verifyWebhookSignature(
  secrets: string | readonly string[],
  header: string | undefined,
  body: Buffer,
  toleranceMs?: number,
): number {
  if (!header) throw new WebhookAuthError('webhook', 'missing_signature');
  const parts = header.split(',').map((p) => p.trim().split('=') as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const candidates = parts.filter(([k]) => k === 'v1').map(([, v]) => v);
  if (!t || !/^\d{1,12}$/.test(t) || !candidates.length)
    throw new WebhookAuthError('webhook', 'missing_signature');
  const payload = Buffer.concat([Buffer.from(`${t}.`), body]);
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  const ok = keys.some((key) => {
    const expected = hmac('sha256', key, payload, 'hex');
    return candidates.some((c) => safeEqual(c, expected));
  });
  if (!ok) throw new WebhookAuthError('webhook', 'bad_signature');
  assertFresh('webhook', Number(t) * 1000, toleranceMs);
  return Number(t) * 1000;
}

/** Verify a request's `X-RoomKit-Signature`; returns the replay key. */
export function checkRoomkitRequest(
  secrets: string | readonly string[],
  req: WebhookRequest,
  toleranceMs?: number,
): string {
  const header = headerValue(req, ROOMKIT_SIGNATURE_HEADER);
  verifyWebhookSignature(secrets, header, req.rawBody, toleranceMs);
  return `roomkit:${header}`;
}
