import type { AudioFrame } from '../../voice/types.js';

/**
 * Cuts the capture program's byte stream (reads of any size, samples split across reads)
 * into fixed frames of interleaved PCM s16le, each in its own buffer (listeners may keep
 * them), stamped with their position in the stream.
 */
export class CaptureFramer {
  private readonly frame: Uint8Array;
  private fill = 0;
  private framesOut = 0;
  private readonly frameMs: number;

  constructor(
    private readonly sampleRate: number,
    private readonly channels: number,
    frameMs: number,
  ) {
    const samples = Math.max(1, Math.round((sampleRate * frameMs) / 1000));
    this.frameMs = (samples * 1000) / sampleRate;
    this.frame = new Uint8Array(samples * channels * 2);
  }

  push(chunk: Uint8Array, emit: (frame: AudioFrame) => void): void {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(this.frame.length - this.fill, chunk.length - at);
      this.frame.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill < this.frame.length) break;
      const data = new Int16Array(this.frame.length / 2);
      new Uint8Array(data.buffer).set(this.frame);
      emit({
        data,
        sampleRate: this.sampleRate,
        channels: this.channels,
        timestampMs: this.framesOut * this.frameMs,
      });
      this.framesOut++;
      this.fill = 0;
    }
  }
}
