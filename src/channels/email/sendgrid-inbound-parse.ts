/**
 * SendGrid Inbound Parse: a multipart/form-data POST per email, either parsed (`headers`,
 * `from`, `to`, `subject`, `text`, `html`, `envelope`, `attachment-info`, `attachmentN` files)
 * or raw (`email`: the whole MIME message). With a security policy, SendGrid signs it like its
 * Event Webhook: ECDSA P-256/SHA-256 over `<timestamp><raw body>`, base64 DER signature in
 * `X-Twilio-Email-Event-Webhook-Signature`, Unix seconds in `...-Timestamp`.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { normalizeEmail } from '../../core/contact-identity.js';
import { type FormBody, field, parseFormBody } from '../../providers/shared/form-body.js';
import {
  headerValue,
  WebhookAuthError,
  WebhookPayloadError,
  type WebhookRequest,
} from '../../providers/shared/webhook-request.js';
import { assertFresh } from '../../providers/shared/webhook-signature.js';
import { type InboundEmail, parseMime } from './inbound-email.js';
import { parseMessageIds } from './threading.js';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** The verification key SendGrid shows for the policy (base64 DER SubjectPublicKeyInfo), or a PEM. */
export function sendgridPublicKey(key: string): KeyObject {
  if (key.includes('BEGIN PUBLIC KEY')) return createPublicKey(key);
  return createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
}

/** Verify a signed Inbound Parse request; returns the replay key (throws WebhookAuthError). */
export function checkSendgridRequest(
  publicKey: KeyObject | undefined,
  req: WebhookRequest,
  toleranceMs?: number,
): string {
  if (!publicKey) throw new WebhookAuthError('sendgrid', 'not_configured', 'no verification key');
  const signature = headerValue(req, SENDGRID_SIGNATURE_HEADER);
  const timestamp = headerValue(req, SENDGRID_TIMESTAMP_HEADER);
  if (!signature || !timestamp) throw new WebhookAuthError('sendgrid', 'missing_signature');
  const ok =
    /^\d{1,12}$/.test(timestamp) &&
    verify(
      'sha256',
      Buffer.concat([Buffer.from(timestamp), req.rawBody]),
      publicKey,
      Buffer.from(signature, 'base64'),
    );
  if (!ok) throw new WebhookAuthError('sendgrid', 'bad_signature');
  assertFresh('sendgrid', Number(timestamp) * 1000, toleranceMs);
  return `sendgrid:${signature}`;
}

export async function parseSendgridInbound(req: WebhookRequest): Promise<InboundEmail | undefined> {
  const form = parseFormBody(req.rawBody, req.headers['content-type']);
  const raw = field(form.fields, 'email');
  if (raw) return parseMime(raw, 'sendgrid');
  return fromParsedFields(form);
}

function fromParsedFields(form: FormBody): InboundEmail | undefined {
  const f = (name: string) => field(form.fields, name);
  const from = normalizeEmail(f('from') ?? '');
  if (!from) throw new WebhookPayloadError('sendgrid', 'no from address');
  const headers = f('headers') ?? '';
  const header = (name: string) =>
    new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im')
      .exec(headers)?.[1]
      ?.replace(/\r?\n[ \t]+/g, ' ');
  const info = safeJson(f('attachment-info')) as
    | Record<string, { filename?: string; type?: string }>
    | undefined;
  return {
    messageId: parseMessageIds(header('Message-ID'))[0],
    inReplyTo: parseMessageIds(header('In-Reply-To'))[0],
    references: parseMessageIds(header('References')),
    from,
    fromName: /^\s*"?([^"<]+?)"?\s*</.exec(f('from') ?? '')?.[1],
    to: (f('to') ?? '')
      .split(',')
      .map((a) => normalizeEmail(a))
      .filter((a): a is string => !!a),
    subject: f('subject'),
    text: f('text') ?? '',
    html: f('html'),
    attachments: form.files.map((file) => ({
      filename: info?.[file.field]?.filename ?? file.filename,
      contentType: info?.[file.field]?.type ?? file.contentType,
      data: file.data,
    })),
    via: 'sendgrid',
  };
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
