import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../voice/audio/g711.js';
import type { RtpCodec } from './codec.js';

/** PCMU (G.711 mu-law, static payload type 0). */
export class PcmuCodec implements RtpCodec {
  readonly name = 'PCMU';
  readonly sampleRate = 8000;
  readonly clockRate = 8000;
  encode(pcm: Int16Array): Uint8Array {
    return mulawEncode(pcm);
  }
  decode(payload: Uint8Array): Int16Array {
    return mulawDecode(payload);
  }
}

/** PCMA (G.711 A-law, static payload type 8). */
export class PcmaCodec implements RtpCodec {
  readonly name = 'PCMA';
  readonly sampleRate = 8000;
  readonly clockRate = 8000;
  encode(pcm: Int16Array): Uint8Array {
    return alawEncode(pcm);
  }
  decode(payload: Uint8Array): Int16Array {
    return alawDecode(payload);
  }
}
