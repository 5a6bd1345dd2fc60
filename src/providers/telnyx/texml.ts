/**
 * TeXML (Telnyx's TwiML-compatible markup) for media-stream calls: `<Connect><Stream>` in
 * bidirectional RTP mode with the codec we speak (PCMU 8 kHz, or L16 16 kHz), custom
 * `<Parameter>`s, and `<Reject>` for refused calls.
 */
import { type XmlElement, xmlDocument } from '../shared/media-stream/xml.js';

export interface TexmlStreamOptions {
  url: string;
  codec: 'PCMU' | 'L16';
  sampleRate: number;
  parameters?: Record<string, string>;
}

export function connectStreamTexml(opts: TexmlStreamOptions): string {
  const stream: XmlElement = {
    name: 'Stream',
    attributes: {
      url: opts.url,
      track: 'inbound_track',
      bidirectionalMode: 'rtp',
      bidirectionalCodec: opts.codec,
      bidirectionalSamplingRate: opts.codec === 'L16' ? opts.sampleRate : undefined,
    },
    children: Object.entries(opts.parameters ?? {}).map(([name, value]) => ({
      name: 'Parameter',
      attributes: { name, value },
    })),
  };
  return xmlDocument({ name: 'Response', children: [{ name: 'Connect', children: [stream] }] });
}

export function rejectTexml(): string {
  return xmlDocument({ name: 'Response', children: [{ name: 'Reject' }] });
}
