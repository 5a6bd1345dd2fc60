import type { AudioFrame } from '../types.js';

/**
 * One output frame a stage hands out again and again: the buffer grows when a longer
 * frame arrives and is otherwise reused, so steady-state processing allocates nothing.
 */
export class ReusableFrame {
  private buffer = new Int16Array(0);
  readonly frame: AudioFrame = { data: this.buffer, sampleRate: 0, channels: 1 };

  /** Sizes the frame for `length` samples and copies the input's metadata. */
  prepare(length: number, like: AudioFrame, sampleRate = like.sampleRate): AudioFrame {
    if (this.buffer.length < length) this.buffer = new Int16Array(Math.max(length, this.buffer.length * 2));
    const frame = this.frame;
    if (frame.data.length !== length || frame.data.buffer !== this.buffer.buffer) {
      frame.data = this.buffer.subarray(0, length);
    }
    frame.sampleRate = sampleRate;
    frame.channels = 1;
    frame.timestampMs = like.timestampMs;
    return frame;
  }
}
