/**
 * The TwiML our voice webhook answers with: `<Connect><Stream url>` with a `<Parameter>` per
 * custom parameter (a bidirectional stream: the call stays connected to it until one side
 * ends), `<Reject>` for refused calls, and `<Dial>` for blind transfers.
 */
import { type XmlElement, xmlDocument } from '../shared/media-stream/xml.js';

export interface TwimlStreamOptions {
  url: string;
  parameters?: Record<string, string>;
  /** Twilio posts stream-started/stopped events here. */
  statusCallback?: string;
}

export function connectStreamTwiml(opts: TwimlStreamOptions): string {
  const stream: XmlElement = {
    name: 'Stream',
    attributes: {
      url: opts.url,
      statusCallback: opts.statusCallback,
      statusCallbackMethod: opts.statusCallback ? 'POST' : undefined,
    },
    children: Object.entries(opts.parameters ?? {}).map(([name, value]) => ({
      name: 'Parameter',
      attributes: { name, value },
    })),
  };
  return xmlDocument({ name: 'Response', children: [{ name: 'Connect', children: [stream] }] });
}

export function rejectTwiml(): string {
  return xmlDocument({
    name: 'Response',
    children: [{ name: 'Reject', attributes: { reason: 'rejected' } }],
  });
}

/** Connect the caller to a number (`+1555...`) or a SIP URI (`sip:...`). */
export function dialTwiml(target: string): string {
  const child: XmlElement = target.startsWith('sip:')
    ? { name: 'Sip', children: [target] }
    : { name: 'Number', children: [target] };
  return xmlDocument({ name: 'Response', children: [{ name: 'Dial', children: [child] }] });
}
