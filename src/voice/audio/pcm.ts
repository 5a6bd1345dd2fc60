import { ValidationError } from '../../core/errors.js';

/**
 * PCM sample conversions. Every function takes an optional `out` so hot paths can reuse
 * one buffer per stream instead of allocating per frame.
 */

const INT16_SCALE = 32768;

/** Int16 samples to floats in [-1, 1). */
export function int16ToFloat32(
  input: Int16Array,
  out: Float32Array = new Float32Array(input.length),
): Float32Array {
  checkOut(out.length, input.length);
  for (let i = 0; i < input.length; i++) out[i] = input[i] / INT16_SCALE;
  return trimTo(out, input.length);
}

/** Floats in [-1, 1] to Int16, rounded and clamped (typed-array stores wrap, so clamp first). */
export function float32ToInt16(
  input: Float32Array,
  out: Int16Array = new Int16Array(input.length),
): Int16Array {
  checkOut(out.length, input.length);
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i] * INT16_SCALE);
    out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
  }
  return trimTo(out, input.length);
}

/** Rounds and clamps a float to the Int16 range. */
export function clampInt16(value: number): number {
  const v = Math.round(value);
  return v > 32767 ? 32767 : Math.max(v, -32768);
}

/** Interleaved stereo (L R L R ...) to mono by averaging the two channels. */
export function stereoToMono(
  interleaved: Int16Array,
  out: Int16Array = new Int16Array(interleaved.length >> 1),
): Int16Array {
  if (interleaved.length % 2 !== 0) {
    throw new ValidationError(`interleaved stereo needs an even sample count, got ${interleaved.length}`);
  }
  const n = interleaved.length >> 1;
  checkOut(out.length, n);
  // >> 1 floors toward -inf; fine for audio and keeps the loop integer-only.
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = (interleaved[j] + interleaved[j + 1]) >> 1;
  return trimTo(out, n);
}

/** Mono to interleaved stereo (each sample on both channels). */
export function monoToStereo(
  mono: Int16Array,
  out: Int16Array = new Int16Array(mono.length * 2),
): Int16Array {
  checkOut(out.length, mono.length * 2);
  for (let i = 0, j = 0; i < mono.length; i++, j += 2) {
    out[j] = mono[i];
    out[j + 1] = mono[i];
  }
  return trimTo(out, mono.length * 2);
}

/** Mixes any channel count down to mono (interleaved input). */
export function downmixToMono(interleaved: Int16Array, channels: number, out?: Int16Array): Int16Array {
  if (channels === 1) return interleaved;
  if (channels === 2) return stereoToMono(interleaved, out);
  if (!Number.isInteger(channels) || channels < 1 || interleaved.length % channels !== 0) {
    throw new ValidationError(`cannot split ${interleaved.length} samples into ${channels} channels`);
  }
  const n = interleaved.length / channels;
  const dst = out ?? new Int16Array(n);
  checkOut(dst.length, n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c];
    dst[i] = Math.round(sum / channels);
  }
  return trimTo(dst, n);
}

/**
 * Little-endian PCM16 bytes to samples. Shares memory when the bytes are 2-byte aligned,
 * copies otherwise (an Int16Array view needs an even byte offset).
 */
export function bytesToInt16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new ValidationError(`PCM16 needs an even byte length, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Int16Array(copy.buffer);
}

/** Samples to little-endian PCM16 bytes (a view over the same memory; Node runs little-endian). */
export function int16ToBytes(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

function checkOut(have: number, need: number): void {
  if (have < need) throw new ValidationError(`output buffer too small: ${have} < ${need} samples`);
}

/** A caller's larger `out` is trimmed to the samples written, so lengths never lie. */
function trimTo<T extends Int16Array | Float32Array>(out: T, n: number): T {
  return (out.length === n ? out : out.subarray(0, n)) as T;
}
