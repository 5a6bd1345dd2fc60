/**
 * Audio as carriers put it on their media sockets: G.711 mu-law at 8 kHz (Twilio, Telnyx,
 * Plivo), 16-bit linear PCM little-endian (Vonage, Exotel, Plivo's L16) or big-endian (Telnyx's
 * L16 RTP payloads, network order). One byte order conversion or one table lookup per sample.
 */
import { ValidationError } from '../../../core/errors.js';
import { mulawDecode, mulawEncode } from '../../../voice/audio/g711.js';

export type WireEncoding = 'mulaw' | 'l16le' | 'l16be';

/** The audio of one call's media stream. */
export interface WireFormat {
  encoding: WireEncoding;
  sampleRate: number;
  /** Length of each outbound media message (20 ms; Exotel wants 100 ms chunks). */
  frameMs: number;
  /** Outbound payloads are padded with silence to a multiple of this many bytes (Exotel: 320). */
  chunkBytes?: number;
}

export function bytesPerSample(encoding: WireEncoding): number {
  return encoding === 'mulaw' ? 1 : 2;
}

/** Wire bytes to PCM s16 (a fresh array: listeners may keep it). */
export function decodeWire(bytes: Uint8Array, encoding: WireEncoding): Int16Array {
  if (encoding === 'mulaw') return mulawDecode(bytes);
  const n = bytes.byteLength >> 1;
  const out = new Int16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const little = encoding === 'l16le';
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, little);
  return out;
}

/** PCM s16 to wire bytes. */
export function encodeWire(pcm: Int16Array, encoding: WireEncoding): Uint8Array {
  if (encoding === 'mulaw') return mulawEncode(pcm);
  const out = new Uint8Array(pcm.length * 2);
  const view = new DataView(out.buffer);
  const little = encoding === 'l16le';
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i], little);
  return out;
}

/**
 * The format a carrier announces as a MIME-like string: `audio/x-mulaw`, `audio/PCMU`,
 * `audio/l16;rate=16000`, `audio/x-l16`... (`bigEndianL16` for carriers whose L16 is an RTP
 * payload in network order).
 */
export function parseContentType(
  value: string,
  defaults: { sampleRate: number; bigEndianL16?: boolean },
): { encoding: WireEncoding; sampleRate: number } {
  const [type = '', ...params] = value.toLowerCase().split(';');
  const rate = params.map((p) => /^\s*rate\s*=\s*(\d+)\s*$/.exec(p)?.[1]).find(Boolean);
  const sampleRate = rate ? Number(rate) : defaults.sampleRate;
  const name = type.trim().replace(/^audio\//, '');
  if (['x-mulaw', 'mulaw', 'pcmu', 'basic', 'g711_ulaw'].includes(name))
    return { encoding: 'mulaw', sampleRate };
  if (['l16', 'x-l16', 'x-raw', 'raw', 'slin', 'pcm'].includes(name))
    return { encoding: defaults.bigEndianL16 ? 'l16be' : 'l16le', sampleRate };
  throw new ValidationError(`unsupported media stream audio: ${value}`);
}

/** Base64 text of wire bytes, and back (payloads of the JSON carriers). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}
