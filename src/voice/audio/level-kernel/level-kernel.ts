import { instantiateKernel, type WasmMemory } from '../wasm-api.js';
import { LEVEL_WASM_BASE64 } from './level-wasm.js';

interface LevelExports {
  memory: WasmMemory;
  input_ptr(): number;
  output_ptr(): number;
  block_samples(): number;
  last_peak(): number;
  sum_ptr(): number;
  sum_squares(n: number): void;
  scan(n: number): void;
  apply_ramp(n: number, start: number, step: number): void;
}

/**
 * The per-frame loops of the AGC, the energy VAD and `rms`/`peak` in wasm SIMD, one instance
 * per process (level-kernel.c). Each call copies the frame into the kernel's fixed input block (a
 * memcpy), so callers keep their own buffers; frames longer than a block go through in
 * blocks. Results equal the plain loops exactly (see level-kernel.c), several times faster.
 */
export class LevelKernel {
  private static shared: LevelKernel | undefined;
  private readonly x: LevelExports;
  private readonly block: number;
  private readonly input: Int16Array;
  private readonly output: Int16Array;
  /** Where sum_squares and scan leave their sum: read as a double, it is never boxed. */
  private readonly sum: Float64Array;
  /** The output block's view for the last length asked (frames keep one length). */
  private outputView: Int16Array;
  /** Peak |sample| of the last `scan`. */
  peak = 0;

  /** The process's kernel, compiled on first use (synchronously: the module is 4 KB). */
  static get(): LevelKernel {
    LevelKernel.shared ??= new LevelKernel();
    return LevelKernel.shared;
  }

  private constructor() {
    this.x = instantiateKernel<LevelExports>(LEVEL_WASM_BASE64);
    this.block = this.x.block_samples();
    // The module's memory never grows (static buffers, no allocator), so views stay valid.
    this.input = new Int16Array(this.x.memory.buffer, this.x.input_ptr(), this.block);
    this.output = new Int16Array(this.x.memory.buffer, this.x.output_ptr(), this.block);
    this.sum = new Float64Array(this.x.memory.buffer, this.x.sum_ptr(), 1);
    this.outputView = this.output;
  }

  /** Sum of the squared samples (exact: an integer below 2^53 for any frame that fits memory). */
  sumSquares(samples: Int16Array): number {
    const n = samples.length;
    if (n > this.block) return this.inBlocks(samples, false);
    // One direct call per kernel (no callback): the sum stays an unboxed double on this path.
    this.input.set(samples);
    this.x.sum_squares(n);
    return this.sum[0]!;
  }

  /** Sum of the squared samples; sets `peak` to the largest |sample|. */
  scan(samples: Int16Array): number {
    const n = samples.length;
    if (n > this.block) return this.inBlocks(samples, true);
    this.input.set(samples);
    this.x.scan(n);
    this.peak = this.x.last_peak();
    return this.sum[0]!;
  }

  /** A frame longer than a block, a block at a time, its sums added (and peaks, for `scan`). */
  private inBlocks(samples: Int16Array, withPeak: boolean): number {
    const n = samples.length;
    let sum = 0;
    if (withPeak) this.peak = 0;
    for (let at = 0; at < n; at += this.block) {
      const part = samples.subarray(at, Math.min(n, at + this.block));
      this.input.set(part);
      if (withPeak) {
        this.x.scan(part.length);
        const peak = this.x.last_peak();
        if (peak > this.peak) this.peak = peak;
      } else this.x.sum_squares(part.length);
      sum += this.sum[0]!;
    }
    return sum;
  }

  /**
   * out[i] = floor(samples[i] * (start + i * step) + 0.5), saturated to int16: a gain ramp
   * rounded half up. `out` may be `samples`. Past one block (4,096 samples) the ramp restarts
   * from start + at * step, which may round a sample's gain differently in its last bit.
   */
  applyRamp(samples: Int16Array, out: Int16Array, start: number, step: number): void {
    const n = samples.length;
    for (let at = 0; at < n; at += this.block) {
      const count = Math.min(this.block, n - at);
      this.input.set(count === n ? samples : samples.subarray(at, at + count));
      this.x.apply_ramp(count, start + at * step, step);
      if (this.outputView.length !== count) this.outputView = this.output.subarray(0, count);
      out.set(this.outputView, at);
    }
  }
}
