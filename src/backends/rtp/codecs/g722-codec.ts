import type { RtpCodec } from './codec.js';
import { G722Decoder, G722Encoder } from './g722.js';

/** G.722 on RTP: 16 kHz audio, but an 8000 Hz RTP clock (RFC 3551 section 4.5.2), static PT 9. */
export class G722Codec implements RtpCodec {
  readonly name = 'G722';
  readonly sampleRate = 16000;
  readonly clockRate = 8000;
  private readonly encoder = new G722Encoder();
  private readonly decoder = new G722Decoder();

  encode(pcm: Int16Array): Uint8Array {
    return this.encoder.encode(pcm);
  }
  decode(payload: Uint8Array): Int16Array {
    return this.decoder.decode(payload);
  }
}
