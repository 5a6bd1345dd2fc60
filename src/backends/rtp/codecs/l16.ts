import type { RtpCodec } from './codec.js';

/**
 * L16: uncompressed 16-bit PCM in network byte order (RFC 3551 section 4.5.11). Mono at any
 * rate (static PT 11 is 44.1 kHz; telephony uses a dynamic PT at 8/16 kHz).
 */
export class L16Codec implements RtpCodec {
  readonly name = 'L16';
  readonly clockRate: number;
  constructor(readonly sampleRate: number) {
    this.clockRate = sampleRate;
  }

  encode(pcm: Int16Array): Uint8Array {
    const out = new Uint8Array(pcm.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i], false);
    return out;
  }

  decode(payload: Uint8Array): Int16Array {
    const n = payload.byteLength >> 1;
    const out = new Int16Array(n);
    const view = new DataView(payload.buffer, payload.byteOffset, n * 2);
    for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, false);
    return out;
  }
}
