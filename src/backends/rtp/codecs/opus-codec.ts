import { OpusCodec, type OpusSampleRate } from '../../../voice/audio/opus.js';
import type { RtpCodec } from './codec.js';

/** Opus on RTP (RFC 7587): always a 48 kHz RTP clock; PCM at the rate we choose (default 16 kHz). */
export class OpusRtpCodec implements RtpCodec {
  readonly name = 'opus';
  readonly clockRate = 48000;
  private readonly codec: OpusCodec;

  constructor(readonly sampleRate: OpusSampleRate = 16000) {
    this.codec = new OpusCodec({ sampleRate, channels: 1 });
  }

  encode(pcm: Int16Array): Uint8Array {
    return this.codec.encode(pcm);
  }
  decode(payload: Uint8Array): Int16Array {
    return this.codec.decode(payload);
  }
}
