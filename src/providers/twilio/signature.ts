/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the Auth Token, over the full URL Twilio
 * requested followed by every POST parameter as name+value, sorted by name (repeated names:
 * each value, sorted). JSON bodies are covered through a `bodySHA256` query parameter instead.
 * The same scheme signs SMS webhooks, status callbacks, voice webhooks and media-stream upgrades.
 */
import { createHash } from 'node:crypto';
import type { FormFields } from '../shared/form-body.js';
import { hmac, safeEqual } from '../shared/webhook-signature.js';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

export function twilioSignature(authToken: string, url: string, params: FormFields = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return hmac('sha1', authToken, Buffer.from(data, 'utf8'), 'base64');
}

/**
 * Check a signature against the URL as Twilio may have written it: Twilio signs the URL as
 * configured, and proxies add or drop the default port, so both forms are accepted (as the
 * official helper library does).
 */
export function verifyTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: FormFields = {},
): boolean {
  if (!signature) return false;
  return urlVariants(url).some((candidate) =>
    safeEqual(signature, twilioSignature(authToken, candidate, params)),
  );
}

/** For JSON-bodied webhooks: the `bodySHA256` query value must be the body's hex SHA-256. */
export function verifyTwilioBodyHash(url: string, rawBody: Buffer): boolean {
  const expected = new URL(url).searchParams.get('bodySHA256');
  return expected !== null && safeEqual(expected, createHash('sha256').update(rawBody).digest('hex'));
}

function urlVariants(url: string): string[] {
  const m = /^(https?:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const colon = authority.lastIndexOf(':');
  const hasPort = colon > authority.lastIndexOf(']');
  const host = hasPort ? authority.slice(0, colon) : authority;
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const variants = new Set([url, scheme + host + rest]);
  if (!hasPort) variants.add(scheme + host + defaultPort + rest);
  return [...variants];
}
