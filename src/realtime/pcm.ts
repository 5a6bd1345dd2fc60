import { bytesToInt16, int16ToBytes } from '../voice/audio/pcm.js';

/** PCM s16le <-> base64, the way realtime vendors put audio in JSON. */

export function pcm16ToBase64(pcm: Int16Array): string {
  const bytes = int16ToBytes(pcm);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function base64ToPcm16(b64: string): Int16Array {
  const bytes = Buffer.from(b64, 'base64');
  // A truncated odd byte would make bytesToInt16 throw; vendors never send one, drop it if so.
  return bytesToInt16(bytes.byteLength % 2 === 0 ? bytes : bytes.subarray(0, bytes.byteLength - 1));
}

export function pcmDurationMs(samples: number, sampleRate: number): number {
  return (samples / sampleRate) * 1000;
}
