/**
 * Mailgun routes `forward()` an email as a POST (urlencoded, multipart with attachments):
 * `sender`, `from`, `recipient`, `subject`, `body-plain`, `stripped-text`, `body-html`,
 * `Message-Id`, `In-Reply-To`, `References`, `message-headers`, `attachment-N`; or raw MIME
 * in `body-mime`. It is signed in the body: `signature` = hex HMAC-SHA256 (webhook signing key)
 * of `timestamp` + `token`; a token is used once.
 */
import { normalizeEmail } from '../../core/contact-identity.js';
import { type FormFields, field, parseFormBody } from '../../providers/shared/form-body.js';
import {
  WebhookAuthError,
  WebhookPayloadError,
  type WebhookRequest,
} from '../../providers/shared/webhook-request.js';
import { assertFresh, hmac, safeEqual } from '../../providers/shared/webhook-signature.js';
import { type InboundEmail, parseMime } from './inbound-email.js';
import { parseMessageIds } from './threading.js';

export interface MailgunRequest {
  replayKey: string;
  parse(): Promise<InboundEmail | undefined>;
}

/** Verify the body signature; the request's parse comes back with the replay key. */
export function checkMailgunRequest(
  signingKey: string | undefined,
  req: WebhookRequest,
  toleranceMs?: number,
): MailgunRequest {
  if (!signingKey) throw new WebhookAuthError('mailgun', 'not_configured', 'no webhook signing key');
  const form = parseFormBody(req.rawBody, req.headers['content-type']);
  const signature = field(form.fields, 'signature');
  const timestamp = field(form.fields, 'timestamp');
  const token = field(form.fields, 'token');
  if (!signature || !timestamp || !token) throw new WebhookAuthError('mailgun', 'missing_signature');
  if (!safeEqual(signature, hmac('sha256', signingKey, timestamp + token, 'hex')))
    throw new WebhookAuthError('mailgun', 'bad_signature');
  assertFresh('mailgun', Number(timestamp) * 1000, toleranceMs);
  return {
    replayKey: `mailgun:${token}`,
    parse: async () => {
      const mime = field(form.fields, 'body-mime');
      if (mime) return parseMime(mime, 'mailgun');
      return fromFields(form.fields, form.files);
    },
  };
}

function fromFields(
  fields: FormFields,
  files: { field: string; filename: string; contentType: string; data: Buffer }[],
): InboundEmail {
  const f = (name: string) => field(fields, name);
  const from = normalizeEmail(f('from') ?? f('sender') ?? '');
  if (!from) throw new WebhookPayloadError('mailgun', 'no from address');
  return {
    messageId: parseMessageIds(f('Message-Id'))[0],
    inReplyTo: parseMessageIds(f('In-Reply-To'))[0],
    references: parseMessageIds(f('References')),
    from,
    fromName: /^\s*"?([^"<]+?)"?\s*</.exec(f('from') ?? '')?.[1],
    to: [normalizeEmail(f('recipient') ?? '')].filter((a): a is string => !!a),
    subject: f('subject'),
    // Mailgun's own reply stripping is kept for reference; ours runs on body-plain for consistency.
    text: f('body-plain') ?? f('stripped-text') ?? '',
    html: f('body-html'),
    attachments: files
      .filter((file) => file.field.startsWith('attachment'))
      .map((file) => ({ filename: file.filename, contentType: file.contentType, data: file.data })),
    via: 'mailgun',
  };
}
