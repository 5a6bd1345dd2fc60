import { ValidationError } from '../../core/errors.js';
import { Resampler } from '../audio/resampler.js';
import { type EmscriptenModule, loadWasmModule, WasmBuffer } from '../audio/wasm-module.js';
import type { AudioFrame } from '../types.js';
import { BlockAdapter } from './block-adapter.js';
import { ReusableFrame } from './reusable-frame.js';
import { SampleFifo } from './sample-fifo.js';
import type { DenoiserProvider, FrameStage, StageContext } from './stages.js';

const RNNOISE_RATE = 48000;
const RNNOISE_FRAME = 480; // 10 ms at 48 kHz, fixed by the model
const COMPONENT = 'RNNoiseDenoiserProvider (@echogarden/rnnoise-wasm)';

/**
 * Noise suppression with RNNoise (wasm). The model runs at 48 kHz on 10 ms frames, so each
 * session resamples in and out with its own resamplers; at 16 kHz with 10/20/30 ms frames
 * the round trip adds no delay.
 */
export class RNNoiseDenoiserProvider implements DenoiserProvider {
  readonly name = 'rnnoise';

  /** Loads the wasm module; rejects with an AudioDependencyError when it is missing. */
  async load(): Promise<void> {
    await loadWasmModule('@echogarden/rnnoise-wasm', COMPONENT);
  }

  async createStage(ctx: StageContext): Promise<FrameStage> {
    const mod = await loadWasmModule('@echogarden/rnnoise-wasm', COMPONENT);
    const up = await Resampler.create({ inputRate: ctx.sampleRate, outputRate: RNNOISE_RATE });
    const down = await Resampler.create({ inputRate: RNNOISE_RATE, outputRate: ctx.sampleRate });
    return new RNNoiseStage(mod, up, down);
  }
}

class RNNoiseStage implements FrameStage {
  private state: number;
  private readonly inBuf: WasmBuffer<Float32Array>;
  private readonly outBuf: WasmBuffer<Float32Array>;
  private readonly blocks: BlockAdapter;
  private denoised48 = new Int16Array(0);
  private readonly out = new ReusableFrame();
  // Non-integer rate ratios can return a sample more or less per frame: absorb it here.
  private readonly tail = new SampleFifo();
  private tailPrimed = false;

  constructor(
    private readonly mod: EmscriptenModule,
    private readonly up: Resampler,
    private readonly down: Resampler,
  ) {
    this.state = mod._rnnoise_create(0);
    if (!this.state) throw new ValidationError('RNNoise: rnnoise_create failed (out of wasm memory?)');
    this.inBuf = new WasmBuffer(mod, 'float32', RNNOISE_FRAME);
    this.outBuf = new WasmBuffer(mod, 'float32', RNNOISE_FRAME);
    this.blocks = new BlockAdapter(RNNOISE_FRAME, (src, so, dst, dOff) =>
      this.denoiseBlock(src, so, dst, dOff),
    );
  }

  process(frame: AudioFrame): AudioFrame {
    const n = frame.data.length;
    const wide = this.up.process(frame.data);
    if (this.denoised48.length < wide.length) this.denoised48 = new Int16Array(wide.length * 2);
    const denoised = this.denoised48.subarray(0, wide.length);
    this.blocks.process(wide, denoised);
    const back = this.down.process(denoised);
    const out = this.out.prepare(n, frame);
    if (back.length === n && this.tail.length === 0) {
      out.data.set(back);
    } else {
      if (!this.tailPrimed) {
        this.tail.pushZeros(8);
        this.tailPrimed = true;
      }
      this.tail.push(back);
      this.tail.shiftInto(out.data, 0, n);
    }
    return out;
  }

  private denoiseBlock(src: Int16Array, srcOffset: number, dst: Int16Array, dstOffset: number): void {
    // RNNoise takes floats in int16 scale.
    const input = this.inBuf.array;
    for (let i = 0; i < RNNOISE_FRAME; i++) input[i] = src[srcOffset + i];
    this.mod._rnnoise_process_frame(this.state, this.outBuf.ptr, this.inBuf.ptr);
    const output = this.outBuf.array;
    for (let i = 0; i < RNNOISE_FRAME; i++) {
      const v = Math.round(output[i]);
      dst[dstOffset + i] = v > 32767 ? 32767 : Math.max(v, -32768);
    }
  }

  close(): void {
    if (!this.state) return;
    this.mod._rnnoise_destroy(this.state);
    this.inBuf.free();
    this.outBuf.free();
    this.up.close();
    this.down.close();
    this.state = 0;
  }
}
