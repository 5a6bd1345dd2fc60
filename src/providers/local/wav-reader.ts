import { ValidationError } from '../../core/errors.js';
import { bytesToInt16 } from './pcm-bytes.js';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved s16 samples. */
  samples: Int16Array;
}

/**
 * Reads a PCM s16 RIFF/WAVE file. Tolerates what engines write to a pipe: espeak-ng
 * `--stdout` cannot seek back, so its RIFF and data sizes are placeholders (0x7ffff000);
 * the data chunk is therefore clamped to the bytes actually present.
 */
export function readWav(bytes: Uint8Array): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new ValidationError('not a RIFF/WAVE file');
  let pos = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  while (pos + 8 <= bytes.length) {
    const id = tag(pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new ValidationError('truncated WAV fmt chunk');
      fmt = {
        format: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new ValidationError('WAV data chunk before fmt chunk');
      // 1 = PCM; 0xfffe = WAVE_FORMAT_EXTENSIBLE, which engines use for plain PCM too.
      if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) {
        throw new ValidationError(
          `unsupported WAV encoding (format ${fmt.format}, ${fmt.bits} bits); expected PCM s16`,
        );
      }
      const end = Math.min(body + size, bytes.length);
      return {
        sampleRate: fmt.sampleRate,
        channels: fmt.channels || 1,
        samples: bytesToInt16(bytes.subarray(body, end)),
      };
    }
    pos = body + size + (size & 1); // chunks are word-aligned
  }
  throw new ValidationError('WAV file has no data chunk');
}
