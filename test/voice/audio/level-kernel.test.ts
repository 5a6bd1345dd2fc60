import { describe, expect, it } from 'vitest';
import { LevelKernel } from '../../../src/voice/audio/level-kernel/level-kernel.js';

// The plain loops the kernel replaces: its results must equal these exactly.
function reference(x: Int16Array, start: number, step: number) {
  let sum = 0;
  let peak = 0;
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    sum += x[i] * x[i];
    peak = Math.max(peak, Math.abs(x[i]));
    out[i] = Math.max(-32768, Math.min(32767, Math.floor(x[i] * (start + i * step) + 0.5)));
  }
  return { sum, peak, out };
}

function noise(n: number, amplitude: number, seed: number): Int16Array {
  const x = new Int16Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = Math.round(((s / 2 ** 32) * 2 - 1) * amplitude);
  }
  return x;
}

describe('LevelKernel (AGC and energy VAD loops in wasm SIMD)', () => {
  const kernel = LevelKernel.get();

  it('equals the plain loops on frame sizes with and without a SIMD tail, and past one block', () => {
    for (const n of [0, 1, 7, 8, 160, 321, 960, 5000, 9001]) {
      const x = noise(n, 20000, n + 1);
      const start = 1.37;
      const step = -0.00011;
      const want = reference(x, start, step);
      expect(kernel.sumSquares(x)).toBe(want.sum);
      expect(kernel.scan(x)).toBe(want.sum);
      expect(kernel.peak).toBe(want.peak);
      const out = new Int16Array(n);
      kernel.applyRamp(x, out, start, step);
      // Past one block the ramp restarts at start + at * step, so allow the last double's rounding there.
      const mismatches = out.filter((v, i) => v !== want.out[i]).length;
      if (n <= 4096) expect(mismatches).toBe(0);
      else expect(mismatches).toBeLessThanOrEqual(2);
    }
  });

  it('handles full scale: -32768 squared, its peak, and saturation at both ends', () => {
    const x = new Int16Array(16).fill(-32768);
    x[3] = 32767;
    expect(kernel.sumSquares(x)).toBe(15 * 32768 ** 2 + 32767 ** 2);
    kernel.scan(x);
    expect(kernel.peak).toBe(32768);
    const out = new Int16Array(16);
    kernel.applyRamp(x, out, 2, 0);
    expect(out[0]).toBe(-32768);
    expect(out[3]).toBe(32767);
  });

  it('rounds halves up like Math.round, for negative samples too', () => {
    const x = Int16Array.from([1, -1, 3, -3, 5, -5, 7, -7, 9]);
    const out = new Int16Array(x.length);
    kernel.applyRamp(x, out, 0.5, 0);
    expect(Array.from(out)).toEqual(Array.from(Int16Array.from(x, (v) => Math.round(v * 0.5))));
  });

  it('may write its output over its input', () => {
    const x = noise(320, 9000, 7);
    const want = reference(x, 0.8, 0.001).out;
    kernel.applyRamp(x, x, 0.8, 0.001);
    expect(Array.from(x)).toEqual(Array.from(want));
  });
});
