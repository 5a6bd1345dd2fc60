/**
 * Meta signs webhook POSTs with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body,
 * keyed with the app secret>`, and proves a subscription with the `hub.verify_token` handshake
 * (GET with hub.mode=subscribe, hub.verify_token, hub.challenge: answer the challenge).
 */
import { hmac, safeEqual } from '../shared/webhook-signature.js';
import {
  headerValue,
  queryParams,
  WebhookAuthError,
  type WebhookRequest,
  type WebhookResponse,
} from '../shared/webhook-request.js';

export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

export function hubSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${hmac('sha256', appSecret, rawBody, 'hex')}`;
}

/** Verify a webhook POST; returns the replay key (throws WebhookAuthError). */
export function checkHubSignature(appSecret: string | undefined, req: WebhookRequest): string {
  if (!appSecret)
    throw new WebhookAuthError('whatsapp', 'not_configured', 'no app secret (WHATSAPP_APP_SECRET)');
  const signature = headerValue(req, HUB_SIGNATURE_HEADER);
  if (!signature) throw new WebhookAuthError('whatsapp', 'missing_signature');
  if (!safeEqual(signature.toLowerCase(), hubSignature(appSecret, req.rawBody)))
    throw new WebhookAuthError('whatsapp', 'bad_signature');
  return `whatsapp:${signature.toLowerCase()}`;
}

/** Answer Meta's subscription handshake: the challenge when the token matches, else 403. */
export function answerVerifyHandshake(verifyToken: string | undefined, req: WebhookRequest): WebhookResponse {
  const q = queryParams(req);
  const token = q.get('hub.verify_token');
  const challenge = q.get('hub.challenge');
  if (
    !verifyToken ||
    q.get('hub.mode') !== 'subscribe' ||
    !token ||
    !challenge ||
    !safeEqual(token, verifyToken)
  ) {
    return { status: 403, body: 'forbidden' };
  }
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: challenge };
}
