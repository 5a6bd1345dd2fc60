/**
 * The fields of a carrier's call webhook, wherever the carrier put them: the query of a GET
 * (Vonage's and Exotel's answer URLs), a form body (Twilio, TeXML, Plivo) or a JSON object
 * (Vonage's POST answer, Telnyx call-control events). Values are strings.
 */
import { parseFormBody } from '../form-body.js';
import { parseJsonBody, WebhookPayloadError, type WebhookRequest } from '../webhook-request.js';

export function webhookFields(req: WebhookRequest, carrier: string): Record<string, string> {
  const out: Record<string, string> = {};
  const q = req.url.indexOf('?');
  if (q >= 0) for (const [key, value] of new URLSearchParams(req.url.slice(q + 1))) out[key] = value;
  if (req.method !== 'POST' || req.rawBody.length === 0) return out;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) {
    const body = parseJsonBody(carrier, req.rawBody);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new WebhookPayloadError(carrier, 'webhook body is not a JSON object');
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        out[key] = String(value);
    }
    return out;
  }
  for (const [key, value] of Object.entries(parseFormBody(req.rawBody, req.headers['content-type']).fields)) {
    out[key] = Array.isArray(value) ? (value[0] ?? '') : value;
  }
  return out;
}

/** Carriers that write numbers without the plus (Plivo, Vonage): E.164 with it. */
export function withPlus(number: string | undefined): string | undefined {
  return number && /^\d{8,15}$/.test(number) ? `+${number}` : number;
}
