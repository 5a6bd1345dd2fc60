/**
 * WAV as a byte stream, for the fakes: a reader that takes a streamed file in arbitrary
 * pieces (the header may be split across messages) and yields mono PCM16, and the header a
 * streaming writer puts first when the length is not known yet.
 */
import { createWavHeader } from '../../voice/audio/wav.js';

/** A 44-byte PCM16 header with the sizes a streaming writer leaves open (0xFFFFFFFF). */
export function streamingWavHeader(sampleRate: number): Uint8Array {
  const header = createWavHeader({ sampleRate, channels: 1, dataBytes: 0 });
  const view = new DataView(header.buffer);
  view.setUint32(4, 0xffffffff, true);
  view.setUint32(40, 0xffffffff, true);
  return header;
}

/** Reads a streamed WAV: 16-, 24- or 32-bit integer PCM, any channel count (mixed to mono). */
export class WavStreamReader {
  sampleRate?: number;
  /** Set when the header is not a PCM WAV the reader understands. */
  error?: string;
  private pending = Buffer.alloc(0);
  private bytesPerSample = 0;
  private channels = 0;
  private inData = false;

  /** Feeds bytes; returns the whole mono samples they completed (empty while in the header). */
  push(bytes: Uint8Array): Int16Array {
    this.pending = Buffer.concat([this.pending, bytes]);
    if (!this.inData && !this.readHeader()) return new Int16Array(0);
    const frame = this.bytesPerSample * this.channels;
    const usable = this.pending.length - (this.pending.length % frame);
    const out = new Int16Array(usable / frame);
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let c = 0; c < this.channels; c++) sum += this.sample(i * frame + c * this.bytesPerSample);
      out[i] = Math.round(sum / this.channels);
    }
    this.pending = this.pending.subarray(usable);
    return out;
  }

  /** The top 16 bits of one little-endian integer sample. */
  private sample(offset: number): number {
    return this.pending.readInt16LE(offset + this.bytesPerSample - 2);
  }

  /** Walks RIFF chunks up to `data`; false while more bytes are needed. */
  private readHeader(): boolean {
    const b = this.pending;
    if (b.length < 12) return false;
    if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
      this.error = 'input is not a WAV file (no RIFF/WAVE header)';
      return false;
    }
    let offset = 12;
    while (offset + 8 <= b.length) {
      const id = b.toString('ascii', offset, offset + 4);
      const size = b.readUInt32LE(offset + 4);
      if (id === 'data') {
        if (!this.sampleRate) {
          this.error = 'WAV data chunk before its fmt chunk';
          return false;
        }
        this.pending = b.subarray(offset + 8);
        this.inData = true;
        return true;
      }
      if (offset + 8 + size > b.length) return false;
      if (id === 'fmt ') {
        const format = b.readUInt16LE(offset + 8);
        const bits = b.readUInt16LE(offset + 22);
        if ((format !== 1 && format !== 0xfffe) || ![16, 24, 32].includes(bits)) {
          this.error = `unsupported WAV encoding (format ${format}, ${bits} bits): PCM 16/24/32-bit only`;
          return false;
        }
        this.channels = b.readUInt16LE(offset + 10);
        this.sampleRate = b.readUInt32LE(offset + 12);
        this.bytesPerSample = bits / 8;
      }
      offset += 8 + size + (size % 2);
    }
    return false;
  }
}
