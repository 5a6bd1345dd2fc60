import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import {
  bytesToInt16,
  downmixToMono,
  float32ToInt16,
  int16ToBytes,
  int16ToFloat32,
  monoToStereo,
  stereoToMono,
} from '../../../src/voice/audio/pcm.js';

describe('PCM conversions', () => {
  it('int16 -> float32 -> int16 is lossless', () => {
    const s = Int16Array.from([-32768, -12345, -1, 0, 1, 12345, 32767]);
    const f = int16ToFloat32(s);
    expect(f[0]).toBe(-1);
    expect(f[3]).toBe(0);
    expect(Array.from(float32ToInt16(f))).toEqual(Array.from(s));
  });

  it('float32 -> int16 clamps out-of-range values instead of wrapping', () => {
    const out = float32ToInt16(Float32Array.from([1.5, -1.5, 1, -1]));
    expect(Array.from(out)).toEqual([32767, -32768, 32767, -32768]);
  });

  it('stereo -> mono averages the channels; mono -> stereo duplicates', () => {
    const stereo = Int16Array.from([100, 300, -200, -400, 32767, 32767]);
    expect(Array.from(stereoToMono(stereo))).toEqual([200, -300, 32767]);
    expect(Array.from(monoToStereo(Int16Array.from([5, -6])))).toEqual([5, 5, -6, -6]);
    expect(() => stereoToMono(Int16Array.from([1, 2, 3]))).toThrow(ValidationError);
  });

  it('reuses a caller buffer and trims the result to the samples written', () => {
    const out = new Int16Array(10);
    const mono = stereoToMono(Int16Array.from([2, 4, 6, 8]), out);
    expect(mono.length).toBe(2);
    expect(mono.buffer).toBe(out.buffer);
    expect(() => stereoToMono(Int16Array.from([1, 2, 3, 4]), new Int16Array(1))).toThrow(ValidationError);
  });

  it('downmixes any channel count', () => {
    expect(Array.from(downmixToMono(Int16Array.from([3, 6, 9, -3, -6, -9]), 3))).toEqual([6, -6]);
    expect(() => downmixToMono(Int16Array.from([1, 2, 3, 4]), 3)).toThrow(ValidationError);
  });

  it('bytes <-> int16 is little-endian and rejects odd lengths', () => {
    const bytes = Uint8Array.from([0x34, 0x12, 0xff, 0xff]);
    expect(Array.from(bytesToInt16(bytes))).toEqual([0x1234, -1]);
    const unaligned = new Uint8Array(5).subarray(1);
    unaligned.set([0x01, 0x00, 0x00, 0x80]);
    expect(Array.from(bytesToInt16(unaligned))).toEqual([1, -32768]);
    expect(() => bytesToInt16(new Uint8Array(3))).toThrow(ValidationError);
    expect(Array.from(int16ToBytes(Int16Array.from([0x1234])))).toEqual([0x34, 0x12]);
  });
});
