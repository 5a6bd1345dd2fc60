import { ValidationError } from '../../../core/errors.js';
import { loadOpus } from '../../../voice/audio/opus.js';
import type { CodecSpec, RtpCodec } from './codec.js';
import { G722Codec } from './g722-codec.js';
import { PcmaCodec, PcmuCodec } from './g711-codecs.js';
import { L16Codec } from './l16.js';
import { OpusRtpCodec } from './opus-codec.js';

/** RFC 3551 static payload types we speak. */
export const STATIC_PAYLOAD_TYPES: Readonly<Record<number, CodecSpec>> = {
  0: { name: 'PCMU', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
  11: { name: 'L16', clockRate: 44100 },
};

/** Encoding names we can encode and decode (case-insensitive, as SDP compares them). */
export const SUPPORTED_CODECS = ['PCMU', 'PCMA', 'G722', 'L16', 'opus'] as const;

export function isSupportedCodec(name: string): boolean {
  return SUPPORTED_CODECS.some((c) => c.toLowerCase() === name.toLowerCase());
}

/** The codec a payload type means when nothing was negotiated (static types only). */
export function staticCodecSpec(payloadType: number): CodecSpec | undefined {
  return STATIC_PAYLOAD_TYPES[payloadType];
}

/**
 * Builds a codec for an rtpmap. Async because Opus loads its library on first use; the
 * G.711, G.722 and L16 codecs are pure TypeScript.
 */
export async function createCodec(spec: CodecSpec, opts: { opusSampleRate?: 16000 | 24000 | 48000 } = {}) {
  const name = spec.name.toLowerCase();
  if (name === 'opus') await loadOpus();
  return createCodecSync(spec, opts);
}

/** As createCodec, for callers that already loaded Opus (or use no Opus). */
export function createCodecSync(
  spec: CodecSpec,
  opts: { opusSampleRate?: 16000 | 24000 | 48000 } = {},
): RtpCodec {
  switch (spec.name.toLowerCase()) {
    case 'pcmu':
      return new PcmuCodec();
    case 'pcma':
      return new PcmaCodec();
    case 'g722':
      return new G722Codec();
    case 'l16':
      if ((spec.channels ?? 1) !== 1) throw new ValidationError('L16 is supported in mono only');
      return new L16Codec(spec.clockRate);
    case 'opus':
      return new OpusRtpCodec(opts.opusSampleRate ?? 16000);
    default:
      throw new ValidationError(`unsupported RTP codec ${spec.name}/${spec.clockRate}`);
  }
}
