import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import { LevelKernel } from '../audio/level-kernel/level-kernel.js';
import { SpeechSegmenter, type SpeechSegmenterOptions } from './speech-segmenter.js';
import type { StageContext, VADEvent, VADProvider, VADStage } from './stages.js';

export interface EnergyVADOptions extends SpeechSegmenterOptions {
  /** RMS (in int16 sample units) at or above which a frame counts as speech. Default 300. */
  threshold?: number;
}

/** Voice activity by loudness: cheap and dependable on clean, gain-controlled input. */
export class EnergyVADProvider implements VADProvider {
  readonly name = 'energy';
  readonly options: Readonly<EnergyVADOptions>;

  constructor(options: EnergyVADOptions = {}) {
    const threshold = options.threshold ?? 300;
    if (!Number.isFinite(threshold) || threshold < 0) {
      throw new ValidationError(`energy VAD threshold must be >= 0, got ${threshold}`);
    }
    this.options = { ...options, threshold };
  }

  createStage(ctx: StageContext): VADStage {
    return new EnergyVADStage(ctx.sampleRate, this.options);
  }
}

class EnergyVADStage implements VADStage {
  private readonly segmenter: SpeechSegmenter;
  private readonly thresholdSquared: number;
  private readonly kernel = LevelKernel.get();

  constructor(sampleRate: number, options: EnergyVADOptions) {
    this.segmenter = new SpeechSegmenter(sampleRate, options);
    const t = options.threshold ?? 300;
    this.thresholdSquared = t * t;
  }

  get isSpeaking(): boolean {
    return this.segmenter.isSpeaking;
  }

  process(frame: AudioFrame): VADEvent | null {
    const data = frame.data;
    const n = data.length;
    const sum = this.kernel.sumSquares(data);
    // Compare mean squares to skip a sqrt per frame.
    return this.segmenter.update(data, n > 0 && sum >= this.thresholdSquared * n);
  }

  reset(): void {
    this.segmenter.reset();
  }
}
