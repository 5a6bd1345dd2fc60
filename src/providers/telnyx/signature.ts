/**
 * Telnyx signs webhooks with Ed25519: `telnyx-signature-ed25519` is the base64 signature of
 * `<telnyx-timestamp>|<raw body>`, verified with the account's public key (base64, from the
 * portal). The timestamp (Unix seconds) bounds replays.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { headerValue, WebhookAuthError, type WebhookRequest } from '../shared/webhook-request.js';
import { assertFresh } from '../shared/webhook-signature.js';

export const TELNYX_SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TELNYX_TIMESTAMP_HEADER = 'telnyx-timestamp';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The public key as Telnyx shows it (base64 of the raw 32 bytes), or a PEM. */
export function telnyxPublicKey(key: string): KeyObject {
  if (key.includes('BEGIN PUBLIC KEY')) return createPublicKey(key);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32) throw new TypeError('telnyx: the public key must be 32 bytes of base64');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function verifyTelnyxSignature(
  publicKey: KeyObject,
  timestamp: string,
  rawBody: Buffer,
  signature: string,
): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  return verify(null, Buffer.concat([Buffer.from(`${timestamp}|`), rawBody]), publicKey, sig);
}

/** Verify a Telnyx webhook request; returns the replay key (throws WebhookAuthError). */
export function checkTelnyxRequest(
  publicKey: KeyObject | undefined,
  req: WebhookRequest,
  toleranceMs?: number,
): string {
  if (!publicKey) throw new WebhookAuthError('telnyx', 'not_configured', 'no public key (TELNYX_PUBLIC_KEY)');
  const signature = headerValue(req, TELNYX_SIGNATURE_HEADER);
  const timestamp = headerValue(req, TELNYX_TIMESTAMP_HEADER);
  if (!signature || !timestamp) throw new WebhookAuthError('telnyx', 'missing_signature');
  if (!/^\d{1,12}$/.test(timestamp) || !verifyTelnyxSignature(publicKey, timestamp, req.rawBody, signature)) {
    throw new WebhookAuthError('telnyx', 'bad_signature');
  }
  assertFresh('telnyx', Number(timestamp) * 1000, toleranceMs);
  return `telnyx:${signature}`;
}
