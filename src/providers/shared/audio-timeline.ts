import { loadResampler, Resampler } from '../../voice/audio/resampler.js';
import type { AudioFrame } from '../../voice/types.js';
import { LinearResampler } from './linear-resampler.js';

interface RateConverter {
  readonly inputRate: number;
  process(samples: Int16Array): Int16Array;
  close?(): void;
}

/**
 * The audio of one STT stream as numbered 80 ms frames at the rate the vendor was told.
 * Frame numbers are absolute (frame n starts at n x 80 ms of stream time), which is what
 * lets a new session be replayed from any point and its timestamps mapped back. Frames
 * stay in memory until the stream says they are safely transcribed (`trimBefore`).
 */
export class AudioTimeline {
  static readonly FRAME_S = 0.08;
  readonly samplesPerFrame: number;
  private readonly frames: Int16Array[] = [];
  private base = 0;
  private partial: Int16Array;
  private partialLength = 0;
  private resampler?: RateConverter;

  constructor(readonly sampleRate: number) {
    this.samplesPerFrame = Math.round(sampleRate * AudioTimeline.FRAME_S);
    this.partial = new Int16Array(this.samplesPerFrame);
  }

  /** One past the last complete frame. */
  get end(): number {
    return this.base + this.frames.length;
  }

  /** The oldest frame still held. */
  get start(): number {
    return this.base;
  }

  get(index: number): Int16Array | undefined {
    return this.frames[index - this.base];
  }

  push(frame: AudioFrame): void {
    let samples = frame.channels > 1 ? downmix(frame.data, frame.channels) : frame.data;
    if (frame.sampleRate !== this.sampleRate) {
      if (this.resampler?.inputRate !== frame.sampleRate) this.resampler = this.converter(frame.sampleRate);
      samples = this.resampler.process(samples);
    }
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.samplesPerFrame - this.partialLength, samples.length - offset);
      this.partial.set(samples.subarray(offset, offset + take), this.partialLength);
      this.partialLength += take;
      offset += take;
      if (this.partialLength === this.samplesPerFrame) {
        this.frames.push(this.partial);
        this.partial = new Int16Array(this.samplesPerFrame);
        this.partialLength = 0;
      }
    }
  }

  /** Loads the pipeline's Speex resampler so `push` can use it (falls back to linear when it cannot). */
  static async prepare(): Promise<void> {
    await loadResampler().catch(() => undefined);
  }

  close(): void {
    this.resampler?.close?.();
    this.resampler = undefined;
  }

  private converter(inputRate: number): RateConverter {
    this.resampler?.close?.();
    try {
      return new Resampler({ inputRate, outputRate: this.sampleRate });
    } catch {
      // An unusual rate or no wasm: a linear interpolator is plenty for recognition.
      const linear = new LinearResampler(inputRate, this.sampleRate);
      return { inputRate, process: (x) => linear.process(x) };
    }
  }

  /** Completes the last partial frame with silence (the input ended). */
  finish(): void {
    if (this.partialLength === 0) return;
    this.frames.push(this.partial);
    this.partial = new Int16Array(this.samplesPerFrame);
    this.partialLength = 0;
  }

  /** Forgets frames before `index` (never past the end). */
  trimBefore(index: number): void {
    const drop = Math.min(index, this.end) - this.base;
    if (drop <= 0) return;
    this.frames.splice(0, drop);
    this.base += drop;
  }
}

function downmix(data: Int16Array, channels: number): Int16Array {
  const n = Math.floor(data.length / channels);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data[i * channels + c];
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/** Root-mean-square level of a frame; used to find a pause for a session switch. */
export function frameRms(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, samples.length));
}
