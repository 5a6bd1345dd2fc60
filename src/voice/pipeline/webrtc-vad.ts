import { ValidationError } from '../../core/errors.js';
import { Resampler } from '../audio/resampler.js';
import { type EmscriptenModule, loadWasmModule, WasmBuffer } from '../audio/wasm-module.js';
import type { AudioFrame } from '../types.js';
import { SpeechSegmenter, type SpeechSegmenterOptions } from './speech-segmenter.js';
import type { StageContext, VADEvent, VADProvider, VADStage } from './stages.js';

export interface WebRTCVADOptions extends SpeechSegmenterOptions {
  /** Aggressiveness 0 (quality) to 3 (very aggressive about calling noise non-speech). Default 2. */
  mode?: 0 | 1 | 2 | 3;
  /** Analysis frame: 10, 20 or 30 ms. Default 20. */
  frameMs?: 10 | 20 | 30;
}

const FVAD_RATES = [8000, 16000, 32000, 48000];
const COMPONENT = 'WebRTCVADProvider (@echogarden/fvad-wasm)';

/** Voice activity from the WebRTC VAD (libfvad in wasm): robust to steady noise. */
export class WebRTCVADProvider implements VADProvider {
  readonly name = 'webrtc';
  readonly options: Readonly<WebRTCVADOptions>;

  constructor(options: WebRTCVADOptions = {}) {
    const mode = options.mode ?? 2;
    const frameMs = options.frameMs ?? 20;
    if (![0, 1, 2, 3].includes(mode)) throw new ValidationError(`WebRTC VAD mode must be 0-3, got ${mode}`);
    if (![10, 20, 30].includes(frameMs)) {
      throw new ValidationError(`WebRTC VAD frameMs must be 10, 20 or 30, got ${frameMs}`);
    }
    this.options = { ...options, mode, frameMs };
  }

  /** Loads the wasm module; rejects with an AudioDependencyError when it is missing. */
  async load(): Promise<void> {
    await loadWasmModule('@echogarden/fvad-wasm', COMPONENT);
  }

  async createStage(ctx: StageContext): Promise<VADStage> {
    const mod = await loadWasmModule('@echogarden/fvad-wasm', COMPONENT);
    // libfvad knows four rates; anything else is analysed through a 16 kHz copy.
    const analysisRate = FVAD_RATES.includes(ctx.sampleRate) ? ctx.sampleRate : 16000;
    const resampler = await Resampler.create({ inputRate: ctx.sampleRate, outputRate: analysisRate });
    return new WebRTCVADStage(mod, ctx.sampleRate, analysisRate, resampler, this.options);
  }
}

class WebRTCVADStage implements VADStage {
  private readonly segmenter: SpeechSegmenter;
  private handle: number;
  private readonly block: WasmBuffer<Int16Array>;
  private blockFill = 0;
  private lastDecision = false;
  private readonly mode: number;

  constructor(
    private readonly mod: EmscriptenModule,
    sampleRate: number,
    private readonly analysisRate: number,
    private readonly resampler: Resampler,
    options: WebRTCVADOptions,
  ) {
    this.segmenter = new SpeechSegmenter(sampleRate, options);
    this.mode = options.mode ?? 2;
    this.handle = mod._fvad_new();
    if (!this.handle) throw new ValidationError('WebRTC VAD: fvad_new failed (out of wasm memory?)');
    this.configure();
    this.block = new WasmBuffer(mod, 'int16', (analysisRate * (options.frameMs ?? 20)) / 1000);
  }

  get isSpeaking(): boolean {
    return this.segmenter.isSpeaking;
  }

  process(frame: AudioFrame): VADEvent | null {
    const samples = this.resampler.process(frame.data);
    const size = this.block.length;
    let voiced = 0;
    let analysed = 0;
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(size - this.blockFill, samples.length - i);
      const block = this.block.array;
      for (let k = 0; k < n; k++) block[this.blockFill + k] = samples[i + k];
      this.blockFill += n;
      i += n;
      if (this.blockFill === size) {
        const result = this.mod._fvad_process(this.handle, this.block.ptr, size);
        if (result < 0) throw new ValidationError('WebRTC VAD: fvad_process rejected the frame');
        voiced += result;
        analysed++;
        this.blockFill = 0;
      }
    }
    // A frame shorter than the analysis window keeps the previous decision.
    if (analysed > 0) this.lastDecision = voiced * 2 >= analysed;
    const confidence = analysed > 0 ? voiced / analysed : undefined;
    return this.segmenter.update(frame.data, this.lastDecision, confidence);
  }

  reset(): void {
    this.segmenter.reset();
    this.mod._fvad_reset(this.handle); // also resets mode and rate to libfvad's defaults
    this.configure();
    this.blockFill = 0;
    this.lastDecision = false;
  }

  private configure(): void {
    if (this.mod._fvad_set_mode(this.handle, this.mode) !== 0)
      throw new ValidationError('WebRTC VAD: bad mode');
    if (this.mod._fvad_set_sample_rate(this.handle, this.analysisRate) !== 0) {
      throw new ValidationError(`WebRTC VAD: unsupported rate ${this.analysisRate}`);
    }
  }

  close(): void {
    if (!this.handle) return;
    this.mod._fvad_free(this.handle);
    this.block.free();
    this.resampler.close();
    this.handle = 0;
  }
}
