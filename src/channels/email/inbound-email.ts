/**
 * One shape for an email however it arrived (our SMTP listener, SendGrid Inbound Parse,
 * Mailgun routes), built from mailparser's parse of the MIME message.
 */
import type { AddressObject, ParsedMail } from 'mailparser';
import { normalizeEmail } from '../../core/contact-identity.js';
import { parseMessageIds } from './threading.js';

export interface EmailAttachment {
  filename?: string;
  contentType: string;
  data: Buffer;
}

export interface InboundEmail {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  /** The sender's address, lower-case. */
  from: string;
  fromName?: string;
  to: string[];
  subject?: string;
  text: string;
  html?: string;
  attachments: EmailAttachment[];
  via: 'smtp' | 'sendgrid' | 'mailgun';
}

export async function parseMime(
  raw: Buffer | string,
  via: InboundEmail['via'],
): Promise<InboundEmail | undefined> {
  // Loaded on first use, so importing roomkit does not load the MIME parser.
  const { simpleParser } = await import('mailparser');
  return fromParsedMail(await simpleParser(raw, { skipImageLinks: true }), via);
}

export function fromParsedMail(mail: ParsedMail, via: InboundEmail['via']): InboundEmail | undefined {
  const sender = mail.from?.value[0];
  const from = sender?.address ? normalizeEmail(sender.address) : undefined;
  if (!from) return undefined;
  return {
    messageId: mail.messageId ? parseMessageIds(mail.messageId)[0] : undefined,
    inReplyTo: mail.inReplyTo ? parseMessageIds(mail.inReplyTo)[0] : undefined,
    references: parseMessageIds(mail.references),
    from,
    fromName: sender?.name || undefined,
    to: addresses(mail.to),
    subject: mail.subject,
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : undefined,
    attachments: mail.attachments
      .filter((a) => a.contentDisposition !== 'inline' || !a.related)
      .map((a) => ({ filename: a.filename, contentType: a.contentType, data: a.content })),
    via,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) =>
    a.value
      .map((v) => v.address)
      .filter((x): x is string => !!x)
      .map((x) => x.toLowerCase()),
  );
}
