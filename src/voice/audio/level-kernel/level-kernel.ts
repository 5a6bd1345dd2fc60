import { instantiateKernel, type WasmMemory } from '../wasm-api.js';
import { LEVEL_WASM_BASE64 } from './level-wasm.js';

interface LevelExports {
  memory: WasmMemory;
  input_ptr(): number;
  output_ptr(): number;
  block_samples(): number;
  last_peak(): number;
  sum_squares(n: number): number;
  scan(n: number): number;
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
    this.outputView = this.output;
  }

  /** Sum of the squared samples (exact: an integer below 2^53 for any frame that fits memory). */
  sumSquares(samples: Int16Array): number {
    return this.blockwise(samples, this.sumBlock);
  }

  /** Sum of the squared samples; sets `peak` to the largest |sample|. */
  scan(samples: Int16Array): number {
    this.peak = 0;
    return this.blockwise(samples, this.scanBlock);
  }

  private readonly sumBlock = (n: number): number => this.x.sum_squares(n);

  private readonly scanBlock = (n: number): number => {
    const sum = this.x.scan(n);
    const peak = this.x.last_peak();
    if (peak > this.peak) this.peak = peak;
    return sum;
  };

  /** `kernel` over the samples a block at a time (one block for any frame), its sums added. */
  private blockwise(samples: Int16Array, kernel: (n: number) => number): number {
    const n = samples.length;
    if (n <= this.block) {
      this.input.set(samples);
      return kernel(n);
    }
    let sum = 0;
    for (let at = 0; at < n; at += this.block) {
      const part = samples.subarray(at, Math.min(n, at + this.block));
      this.input.set(part);
      sum += kernel(part.length);
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
