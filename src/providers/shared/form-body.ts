/**
 * The one parser for form bodies vendors post: `application/x-www-form-urlencoded` (Twilio,
 * Mailgun without attachments) and `multipart/form-data` (SendGrid Inbound Parse, Mailgun
 * with attachments). Repeated fields keep every value, in order, because signatures cover them.
 */
import { WebhookPayloadError } from './webhook-request.js';

export type FormFields = Record<string, string | string[]>;

export interface FormFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface FormBody {
  fields: FormFields;
  files: FormFile[];
}

export interface FormLimits {
  /** At most this many parts (default 1,000). */
  maxParts?: number;
}

export function parseFormBody(
  raw: Buffer,
  contentType: string | undefined,
  limits: FormLimits = {},
): FormBody {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
    const value = boundary?.[1] ?? boundary?.[2]?.trim();
    if (!value) throw new WebhookPayloadError('form', 'multipart body without a boundary');
    return parseMultipart(raw, value, limits);
  }
  return { fields: parseUrlEncoded(raw.toString('utf8')), files: [] };
}

export function parseUrlEncoded(text: string): FormFields {
  const fields: FormFields = {};
  for (const [key, value] of new URLSearchParams(text)) addField(fields, key, value);
  return fields;
}

/** The first value of a field (vendors rarely repeat one; Twilio's MediaUrl0..N are distinct names). */
export function field(fields: FormFields, name: string): string | undefined {
  const value = fields[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Encode params as a form body; arrays repeat the key (Twilio's MediaUrl), undefined is skipped. */
export function encodeForm(params: Record<string, string | number | readonly string[] | undefined>): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else out.append(key, String(value));
  }
  return out.toString();
}

function addField(fields: FormFields, key: string, value: string): void {
  const existing = fields[key];
  if (existing === undefined) fields[key] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[key] = [existing, value];
}

function parseMultipart(raw: Buffer, boundary: string, limits: FormLimits): FormBody {
  const maxParts = limits.maxParts ?? 1_000;
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: FormFields = {};
  const files: FormFile[] = [];
  let pos = raw.indexOf(delimiter);
  if (pos === -1) throw new WebhookPayloadError('form', 'multipart boundary not found');
  let parts = 0;
  for (;;) {
    pos += delimiter.length;
    // `--` after a delimiter closes the body.
    if (raw[pos] === 0x2d && raw[pos + 1] === 0x2d) break;
    pos = skipLineBreak(raw, pos);
    const next = raw.indexOf(delimiter, pos);
    if (next === -1) throw new WebhookPayloadError('form', 'multipart body is truncated');
    if (++parts > maxParts) throw new WebhookPayloadError('form', `more than ${maxParts} parts`);
    // The part's CRLF before the next delimiter belongs to the delimiter, not the content.
    let end = next;
    if (raw[end - 2] === 0x0d && raw[end - 1] === 0x0a) end -= 2;
    else if (raw[end - 1] === 0x0a) end -= 1;
    readPart(raw.subarray(pos, end), fields, files);
    pos = next;
  }
  return { fields, files };
}

function readPart(part: Buffer, fields: FormFields, files: FormFile[]): void {
  let headerEnd = part.indexOf('\r\n\r\n');
  let bodyStart = headerEnd + 4;
  if (headerEnd === -1) {
    headerEnd = part.indexOf('\n\n');
    bodyStart = headerEnd + 2;
  }
  if (headerEnd === -1) throw new WebhookPayloadError('form', 'multipart part without headers');
  const headers = new Map<string, string>();
  for (const line of part.subarray(0, headerEnd).toString('utf8').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  const name = dispositionParam(disposition, 'name');
  if (name === undefined) return;
  const body = part.subarray(bodyStart);
  const filename = dispositionParam(disposition, 'filename');
  if (filename !== undefined) {
    files.push({
      field: name,
      filename,
      contentType: headers.get('content-type') ?? 'application/octet-stream',
      data: Buffer.from(body),
    });
  } else {
    addField(fields, name, body.toString('utf8'));
  }
}

function dispositionParam(disposition: string, param: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${param}\\*?=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const m = re.exec(disposition);
  if (!m) return undefined;
  const value = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '').trim();
  // RFC 5987 form: utf-8''name%20with%20spaces
  const ext = /^utf-8''(.*)$/i.exec(value);
  return ext ? decodeURIComponent(ext[1]!) : value;
}

function skipLineBreak(raw: Buffer, pos: number): number {
  if (raw[pos] === 0x0d && raw[pos + 1] === 0x0a) return pos + 2;
  if (raw[pos] === 0x0a) return pos + 1;
  return pos;
}

/** Build a multipart body (the fakes post SendGrid/Mailgun webhooks with it). */
export function encodeMultipart(
  fields: Record<string, string>,
  files: FormFile[] = [],
  boundary = `----roomkit${Math.random().toString(16).slice(2)}`,
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
