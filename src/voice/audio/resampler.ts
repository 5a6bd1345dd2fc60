import { ValidationError } from '../../core/errors.js';
import { PolyphaseResampler, polyphaseRatio } from './polyphase/polyphase-resampler.js';
import { assertSupportedSampleRate } from './sample-rates.js';
import { type EmscriptenModule, loadWasmModule, WasmBuffer } from './wasm-module.js';

export interface ResamplerOptions {
  inputRate: number;
  outputRate: number;
  /** Interleaved channel count (default 1). */
  channels?: number;
  /**
   * Speex quality 0-10 (default 5) for the conversions the polyphase filter does not cover
   * (44.1 and 22.05 kHz to or from the others, more than one channel): higher is cleaner and
   * slower. Fixed ratios among 8/16/24/48 kHz (and 22.05 <-> 44.1) always use the polyphase
   * filter, which is flat to 0.85 of the lower Nyquist and at least 88 dB down above it.
   */
  quality?: number;
}

const COMPONENT = 'Resampler (@echogarden/speex-resampler-wasm)';
let speex: EmscriptenModule | undefined;

/**
 * Loads the Speex resampler wasm (once): `new Resampler()` needs it for the ratios the
 * polyphase filter does not cover. Harmless to call for the others.
 */
export async function loadResampler(): Promise<void> {
  if (speex) return;
  try {
    speex = await loadWasmModule('@echogarden/speex-resampler-wasm/simd', COMPONENT);
  } catch {
    // Engines without wasm SIMD get the plain build.
    speex = await loadWasmModule('@echogarden/speex-resampler-wasm', COMPONENT);
  }
}

/**
 * Streaming sample-rate converter. One instance per stream: it keeps the filter history, so
 * consecutive frames join without clicks. Equal rates are a pass-through; fixed small ratios
 * of mono audio (8/16/24/48 kHz among themselves, 22.05 <-> 44.1 kHz) run a polyphase FIR in
 * wasm SIMD (polyphase/); anything else runs the Speex resampler in wasm.
 *
 * `process()` returns a view into a buffer this instance reuses: copy it to keep it past
 * the next call.
 */
export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  private readonly mod: EmscriptenModule | undefined;
  private readonly polyphase: PolyphaseResampler | undefined;
  private state = 0;
  private lengths = 0; // two uint32 slots: in_len, out_len
  private input: WasmBuffer<Int16Array> | undefined;
  private output: WasmBuffer<Int16Array> | undefined;
  private result = new Int16Array(0);
  private resultView = new Int16Array(0); // cached so steady-state frames allocate nothing

  /** Loads the wasm if needed, then builds the resampler. */
  static async create(opts: ResamplerOptions): Promise<Resampler> {
    if (Resampler.needsSpeex(opts)) await loadResampler();
    return new Resampler(opts);
  }

  constructor(opts: ResamplerOptions) {
    assertSupportedSampleRate(opts.inputRate, 'input sample rate');
    assertSupportedSampleRate(opts.outputRate, 'output sample rate');
    this.inputRate = opts.inputRate;
    this.outputRate = opts.outputRate;
    this.channels = opts.channels ?? 1;
    if (!Number.isInteger(this.channels) || this.channels < 1 || this.channels > 8) {
      throw new ValidationError(`resampler channels must be 1-8, got ${this.channels}`);
    }
    if (this.inputRate === this.outputRate) return;
    const quality = opts.quality ?? 5;
    if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
      throw new ValidationError(`resampler quality must be 0-10, got ${quality}`);
    }
    if (!Resampler.needsSpeex(opts)) {
      this.polyphase = new PolyphaseResampler(this.inputRate, this.outputRate);
      return;
    }
    if (!speex) {
      throw new ValidationError(
        'the resampler wasm is not loaded yet: await loadResampler() or Resampler.create()',
      );
    }
    this.mod = speex;
    this.lengths = this.mod._malloc(8);
    this.state = this.mod._speex_resampler_init(
      this.channels,
      this.inputRate,
      this.outputRate,
      quality,
      this.lengths,
    );
    if (!this.state) throw new ValidationError(`cannot resample ${this.inputRate} -> ${this.outputRate} Hz`);
  }

  /** True when the rates match and frames pass through untouched. */
  get isPassThrough(): boolean {
    return this.mod === undefined && this.polyphase === undefined;
  }

  /** Converts interleaved samples; the result is reused by the next call. */
  process(samples: Int16Array): Int16Array {
    if (this.polyphase) {
      if (this.polyphase.closed) throw new ValidationError('resampler is closed');
      return this.polyphase.process(samples);
    }
    const mod = this.mod;
    if (!mod) return samples;
    if (!this.state) throw new ValidationError('resampler is closed');
    if (samples.length % this.channels !== 0) {
      throw new ValidationError(`${samples.length} samples do not split into ${this.channels} channels`);
    }
    const inFrames = samples.length / this.channels;
    // Speex may emit one frame more than the exact ratio when its phase wraps.
    const outFrames = Math.ceil((inFrames * this.outputRate) / this.inputRate) + 2;
    this.ensureCapacity(mod, samples.length, outFrames * this.channels);
    const input = this.input!;
    const output = this.output!;
    input.array.set(samples);
    const u32 = mod.HEAPU32;
    const slot = this.lengths >> 2;
    u32[slot] = inFrames;
    u32[slot + 1] = outFrames;
    const err =
      this.channels === 1
        ? mod._speex_resampler_process_int(
            this.state,
            0,
            input.ptr,
            this.lengths,
            output.ptr,
            this.lengths + 4,
          )
        : mod._speex_resampler_process_interleaved_int(
            this.state,
            input.ptr,
            this.lengths,
            output.ptr,
            this.lengths + 4,
          );
    if (err !== 0) throw new ValidationError(`resampler failed with Speex error ${err}`);
    const produced = mod.HEAPU32[slot + 1] * this.channels;
    const out = output.array;
    const result = this.result;
    for (let i = 0; i < produced; i++) result[i] = out[i];
    if (this.resultView.length !== produced || this.resultView.buffer !== result.buffer) {
      this.resultView = result.subarray(0, produced);
    }
    return this.resultView;
  }

  /** Forgets the filter history (a new, unrelated stream follows). */
  reset(): void {
    this.polyphase?.reset();
    if (this.mod && this.state) this.mod._speex_resampler_reset_mem(this.state);
  }

  close(): void {
    this.polyphase?.close();
    const mod = this.mod;
    if (!mod || !this.state) return;
    mod._speex_resampler_destroy(this.state);
    mod._free(this.lengths);
    this.input?.free();
    this.output?.free();
    this.state = 0;
  }

  /** Speex does what the polyphase filter does not cover (and only when rates differ). */
  private static needsSpeex(opts: ResamplerOptions): boolean {
    if (opts.inputRate === opts.outputRate) return false;
    return (opts.channels ?? 1) !== 1 || !polyphaseRatio(opts.inputRate, opts.outputRate);
  }

  private ensureCapacity(mod: EmscriptenModule, inSamples: number, outSamples: number): void {
    if (!this.input || this.input.length < inSamples) {
      this.input?.free();
      this.input = new WasmBuffer(mod, 'int16', inSamples);
    }
    if (!this.output || this.output.length < outSamples) {
      this.output?.free();
      this.output = new WasmBuffer(mod, 'int16', outSamples);
      this.result = new Int16Array(outSamples);
    }
  }
}
