import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';

/** Builds a frame, checking what would otherwise surface as garbled audio far downstream. */
export function createAudioFrame(
  data: Int16Array,
  sampleRate: number,
  opts: { channels?: number; timestampMs?: number } = {},
): AudioFrame {
  const channels = opts.channels ?? 1;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new ValidationError(`sample rate must be a positive integer, got ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new ValidationError(`channels must be a positive integer, got ${channels}`);
  }
  if (data.length % channels !== 0) {
    throw new ValidationError(`${data.length} samples do not split into ${channels} channels`);
  }
  const frame: AudioFrame = { data, sampleRate, channels };
  if (opts.timestampMs !== undefined) frame.timestampMs = opts.timestampMs;
  return frame;
}

/** A frame of digital silence lasting `durationMs`. */
export function createSilentFrame(sampleRate: number, durationMs: number, channels = 1): AudioFrame {
  return createAudioFrame(new Int16Array(samplesForDuration(sampleRate, durationMs) * channels), sampleRate, {
    channels,
  });
}

/** Samples per channel in `durationMs` at `sampleRate`. */
export function samplesForDuration(sampleRate: number, durationMs: number): number {
  return Math.round((sampleRate * durationMs) / 1000);
}

/** How long a frame plays, in milliseconds. */
export function frameDurationMs(frame: AudioFrame): number {
  return (frame.data.length / frame.channels / frame.sampleRate) * 1000;
}

/** A deep copy: pipeline stages return frames whose buffers they reuse on the next call. */
export function cloneAudioFrame(frame: AudioFrame): AudioFrame {
  const copy: AudioFrame = {
    data: frame.data.slice(),
    sampleRate: frame.sampleRate,
    channels: frame.channels,
  };
  if (frame.timestampMs !== undefined) copy.timestampMs = frame.timestampMs;
  return copy;
}

/** Splits a long signal into consecutive frames of `frameMs` (the last one may be shorter). */
export function splitIntoFrames(samples: Int16Array, sampleRate: number, frameMs: number): AudioFrame[] {
  const size = samplesForDuration(sampleRate, frameMs);
  if (size <= 0) throw new ValidationError(`frame of ${frameMs} ms at ${sampleRate} Hz holds no samples`);
  const frames: AudioFrame[] = [];
  for (let i = 0; i < samples.length; i += size) {
    frames.push({
      data: samples.subarray(i, i + size),
      sampleRate,
      channels: 1,
      timestampMs: (i / sampleRate) * 1000,
    });
  }
  return frames;
}
