/**
 * Plivo XML for media-stream calls: a bidirectional `<Stream>` (the WebSocket URL is its text)
 * that keeps the call alive while it streams, `<Hangup>` for refused calls, and `<Dial>` for
 * transfers. Plivo's `extraHeaders` take only letters and digits, so only such values travel.
 */
import { type XmlElement, xmlDocument } from '../shared/media-stream/xml.js';

export interface PlivoStreamOptions {
  url: string;
  contentType: string;
  extraHeaders?: Record<string, string>;
  statusCallbackUrl?: string;
}

export function streamPlivoXml(opts: PlivoStreamOptions): string {
  const headers = Object.entries(opts.extraHeaders ?? {})
    .filter(([k, v]) => /^[A-Za-z0-9]+$/.test(k) && /^[A-Za-z0-9]+$/.test(v))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const stream: XmlElement = {
    name: 'Stream',
    attributes: {
      bidirectional: true,
      keepCallAlive: true,
      audioTrack: 'inbound',
      contentType: opts.contentType,
      extraHeaders: headers || undefined,
      statusCallbackUrl: opts.statusCallbackUrl,
    },
    children: [opts.url],
  };
  return xmlDocument({ name: 'Response', children: [stream] });
}

export function hangupPlivoXml(): string {
  return xmlDocument({
    name: 'Response',
    children: [{ name: 'Hangup', attributes: { reason: 'rejected' } }],
  });
}

/** Connect the caller to a number, or a SIP URI (`sip:...`). */
export function dialPlivoXml(target: string): string {
  const child: XmlElement = target.startsWith('sip:')
    ? { name: 'User', children: [target] }
    : { name: 'Number', children: [target] };
  return xmlDocument({ name: 'Response', children: [{ name: 'Dial', children: [child] }] });
}
