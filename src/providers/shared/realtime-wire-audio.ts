/**
 * Audio as the OpenAI-family realtime APIs carry it in JSON: base64 PCM16, or base64 G.711
 * (`g711_ulaw`/`g711_alaw`, 8 kHz) for telephony, where a phone call's mu-law then reaches the
 * model without resampling (and byte for byte: every G.711 code survives decode then encode).
 */
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../voice/audio/g711.js';

export type RealtimeWireEncoding = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

export function encodeRealtimeAudio(pcm: Int16Array, encoding: RealtimeWireEncoding): string {
  if (encoding === 'pcm16') return pcm16ToBase64(pcm);
  const codes = encoding === 'g711_ulaw' ? mulawEncode(pcm) : alawEncode(pcm);
  return Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64');
}

export function decodeRealtimeAudio(b64: string, encoding: RealtimeWireEncoding): Int16Array {
  if (encoding === 'pcm16') return base64ToPcm16(b64);
  const codes = Buffer.from(b64, 'base64');
  return encoding === 'g711_ulaw' ? mulawDecode(codes) : alawDecode(codes);
}
