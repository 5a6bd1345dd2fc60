import { RoomKitError } from '../../core/errors.js';
import { SipHeaders } from './sip-headers.js';
import { parseCSeq, parseNameAddr, parseVia } from './sip-uri.js';

/**
 * SIP messages (RFC 3261 section 7): parse from bytes without ever throwing on peer input,
 * serialize with a correct Content-Length. A message that cannot be used comes back as a
 * SipParseError carrying whatever headers were readable, so the UA can still answer 400.
 */
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends RoomKitError {
  constructor(
    message: string,
    /** Headers read before the problem (Via, Call-ID... to address a 400 to), if any. */
    readonly headers?: SipHeaders,
    /** True when the start line says request (a response is never answered). */
    readonly isRequest = false,
  ) {
    super(message, { code: 'sip_parse_error' });
  }
}

export const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_HEADERS = 256;

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

/**
 * Parses one message. `framedBody` is true for stream transports, where the caller already
 * cut the message at Content-Length; on UDP a missing Content-Length means "to the end".
 */
export function parseSipMessage(buf: Buffer): ParseResult {
  if (buf.byteLength > MAX_MESSAGE_BYTES) return fail('message too large');
  const headEnd = buf.indexOf('\r\n\r\n');
  const altEnd = headEnd < 0 ? buf.indexOf('\n\n') : -1;
  if (headEnd < 0 && altEnd < 0) return fail('no end of headers');
  const head = buf.subarray(0, headEnd >= 0 ? headEnd : altEnd).toString('utf8');
  const bodyStart = headEnd >= 0 ? headEnd + 4 : altEnd + 2;
  const rawLines = head.split(/\r?\n/);
  const startLine = rawLines.shift()?.trim() ?? '';
  const isRequest = !startLine.startsWith('SIP/');
  const headers = new SipHeaders();
  // Unfold continuation lines (leading whitespace continues the previous header).
  const lines: string[] = [];
  for (const line of rawLines) {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else if (line.length > 0) lines.push(line);
  }
  if (lines.length > MAX_HEADERS) return fail('too many headers', undefined, isRequest);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return fail(`malformed header line: ${line.slice(0, 60)}`, headers, isRequest);
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name))
      return fail(`bad header name: ${name.slice(0, 40)}`, headers, isRequest);
    headers.add(name, line.slice(colon + 1));
  }
  const lengthText = headers.get('Content-Length');
  let body = buf.subarray(bodyStart);
  if (lengthText !== undefined) {
    if (!/^\d+$/.test(lengthText)) return fail('bad Content-Length', headers, isRequest);
    const length = Number(lengthText);
    if (length > body.byteLength) return fail('body shorter than Content-Length', headers, isRequest);
    body = body.subarray(0, length);
  }
  const common = checkCommon(headers);
  if (common) return fail(common, headers, isRequest);
  if (!isRequest) {
    const m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(startLine);
    if (!m) return fail('bad status line', headers, false);
    return {
      ok: true,
      message: { kind: 'response', status: Number(m[1]), reason: m[2], headers, body: Buffer.from(body) },
    };
  }
  const m = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(startLine);
  if (!m) return fail('bad request line', headers, true);
  const method = m[1].toUpperCase();
  const cseq = parseCSeq(headers.get('CSeq')!);
  if (cseq!.method !== method && method !== 'ACK' && method !== 'CANCEL') {
    return fail(`CSeq method ${cseq!.method} does not match ${method}`, headers, true);
  }
  if ((method === 'ACK' || method === 'CANCEL') && cseq!.method !== method) {
    return fail(`CSeq method ${cseq!.method} does not match ${method}`, headers, true);
  }
  return { ok: true, message: { kind: 'request', method, uri: m[2], headers, body: Buffer.from(body) } };
}

/** The headers every message needs, well formed. Returns what is wrong, if anything. */
function checkCommon(h: SipHeaders): string | undefined {
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) if (!h.get(name)) return `missing ${name}`;
  if (!parseVia(h.get('Via')!)) return 'malformed Via';
  if (!parseCSeq(h.get('CSeq')!)) return 'malformed CSeq';
  if (!parseNameAddr(h.get('From')!)) return 'malformed From';
  if (!parseNameAddr(h.get('To')!)) return 'malformed To';
  return undefined;
}

function fail(message: string, headers?: SipHeaders, isRequest = false): ParseResult {
  return { ok: false, error: new SipParseError(message, headers, isRequest) };
}

export function serializeSipMessage(m: SipMessage): Buffer {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [name, value] of m.headers.lines()) {
    if (name === 'Content-Length') continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${m.body.byteLength}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), m.body]);
}

/** A one-line description for logs and traces ("INVITE sip:ai@host" / "200 OK (INVITE)"). */
export function summarize(m: SipMessage): string {
  if (m.kind === 'request') return `${m.method} ${m.uri}`;
  return `${m.status} ${m.reason} (${m.headers.get('CSeq')?.split(/\s+/)[1] ?? '?'})`;
}
