import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import { createWavHeader, WAV_HEADER_BYTES } from './wav.js';

/**
 * Writes a PCM16 WAV file incrementally: a placeholder header first, samples buffered and
 * flushed in large writes (one syscall per ~64 KiB, not per frame), and the real sizes
 * patched into the header on close, so the file is valid even for hour-long calls.
 */
export class WavFileWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  private fd: number | undefined;
  private readonly pending: Int16Array;
  private pendingLength = 0;
  private dataBytes = 0;

  constructor(path: string, opts: { sampleRate: number; channels: number; bufferSamples?: number }) {
    this.path = path;
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    const header = createWavHeader({ sampleRate: opts.sampleRate, channels: opts.channels, dataBytes: 0 });
    this.pending = new Int16Array(opts.bufferSamples ?? 32768);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, header, 0, header.length, 0);
  }

  /** Appends interleaved samples. */
  write(samples: Int16Array): void {
    if (this.fd === undefined) throw new ValidationError(`WAV writer for ${this.path} is closed`);
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(samples.length - offset, this.pending.length - this.pendingLength);
      this.pending.set(samples.subarray(offset, offset + n), this.pendingLength);
      this.pendingLength += n;
      offset += n;
      if (this.pendingLength === this.pending.length) this.flush();
    }
  }

  /** Samples per channel written so far. */
  get framesWritten(): number {
    return (this.dataBytes / 2 + this.pendingLength) / this.channels;
  }

  get durationSeconds(): number {
    return this.framesWritten / this.sampleRate;
  }

  /** Flushes, fixes the header and closes the file; returns its size in bytes. */
  close(): number {
    if (this.fd === undefined) return WAV_HEADER_BYTES + this.dataBytes;
    this.flush();
    const header = createWavHeader({
      sampleRate: this.sampleRate,
      channels: this.channels,
      dataBytes: this.dataBytes,
    });
    writeSync(this.fd, header, 0, header.length, 0);
    const size = fstatSync(this.fd).size;
    closeSync(this.fd);
    this.fd = undefined;
    return size;
  }

  private flush(): void {
    if (this.fd === undefined || this.pendingLength === 0) return;
    const bytes = new Uint8Array(this.pending.buffer, 0, this.pendingLength * 2);
    writeSync(this.fd, bytes, 0, bytes.length, WAV_HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.length;
    this.pendingLength = 0;
  }
}
