/**
 * Plivo signs every request to our URLs with `X-Plivo-Signature-V3` (base64 HMAC-SHA256, keyed
 * with the Auth Token) and a random `X-Plivo-Signature-V3-Nonce`. The signed string is the URL
 * without its query, then `?` and the query parameters sorted (`k=v&k=v`), then for a POST a
 * `.` (when there was a query) and the body parameters sorted and concatenated (`k=vk=v`),
 * and last `.<nonce>`. Accounts with several tokens get comma-separated signatures.
 */
import { createHmac } from 'node:crypto';
import type { FormFields } from '../shared/form-body.js';
import { safeEqual } from '../shared/webhook-signature.js';

export const PLIVO_SIGNATURE_HEADER = 'x-plivo-signature-v3';
export const PLIVO_NONCE_HEADER = 'x-plivo-signature-v3-nonce';

type Params = Record<string, string | readonly string[]>;

function sortedPairs(params: Map<string, string[]>): [string, string][] {
  const out: [string, string][] = [];
  for (const key of [...params.keys()].sort())
    for (const value of [...params.get(key)!].sort()) out.push([key, value]);
  return out;
}

function merge(into: Map<string, string[]>, params: Params): void {
  for (const [key, value] of Object.entries(params)) {
    const values = typeof value === 'string' ? [value] : [...value];
    into.set(key, [...(into.get(key) ?? []), ...values]);
  }
}

/** The string Plivo signs (before the nonce) for a request to `url` with these parameters. */
export function plivoSignedString(method: 'GET' | 'POST', url: string, params: Params = {}): string {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}${u.pathname}`;
  const query = new Map<string, string[]>();
  for (const [key, value] of u.searchParams) query.set(key, [...(query.get(key) ?? []), value]);
  if (method === 'GET') {
    merge(query, params);
    const q = sortedPairs(query)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return q ? `${base}?${q}` : base;
  }
  const body = new Map<string, string[]>();
  merge(body, params);
  const q = sortedPairs(query)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  let out = base;
  if (q || body.size > 0) out += `?${q}`;
  if (q && body.size > 0) out += '.';
  return (
    out +
    sortedPairs(body)
      .map(([k, v]) => `${k}=${v}`)
      .join('')
  );
}

export function plivoSignatureV3(
  authToken: string,
  method: 'GET' | 'POST',
  url: string,
  nonce: string,
  params: Params = {},
): string {
  return createHmac('sha256', authToken)
    .update(`${plivoSignedString(method, url, params)}.${nonce}`)
    .digest('base64');
}

/** True when one of the (comma-separated) signatures matches. */
export function verifyPlivoSignatureV3(
  authToken: string,
  signatures: string | undefined,
  nonce: string | undefined,
  method: 'GET' | 'POST',
  url: string,
  params: FormFields = {},
): boolean {
  if (!signatures || !nonce) return false;
  const expected = plivoSignatureV3(authToken, method, url, nonce, params);
  return signatures.split(',').some((s) => safeEqual(s.trim(), expected));
}
