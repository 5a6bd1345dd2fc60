import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import { LevelKernel } from '../audio/level-kernel/level-kernel.js';
import { ReusableFrame } from './reusable-frame.js';
import type { AGCProvider, FrameStage, StageContext } from './stages.js';

export interface AGCConfig {
  /** Level the output aims for, RMS in dBFS. Default -12. */
  targetLevelDbfs?: number;
  /** Most gain ever applied. Default 30 dB. */
  maxGainDb?: number;
  /** Time constant for turning gain down when input gets louder. Default 10 ms. */
  attackMs?: number;
  /** Time constant for turning gain back up when input gets quieter. Default 300 ms. */
  releaseMs?: number;
  /** Frames quieter than this (RMS dBFS) hold the gain: silence and hiss are not boosted. Default -55. */
  noiseGateDbfs?: number;
}

/**
 * Automatic gain control: brings speech towards a target RMS with smoothed gain changes
 * (ramped across each frame, so no zipper noise) and a peak limit that makes clipping
 * impossible: the gain never exceeds full scale over the frame's peak.
 */
export class SimpleAGCProvider implements AGCProvider {
  readonly name = 'simple-agc';
  readonly config: Required<AGCConfig>;

  constructor(config: AGCConfig = {}) {
    const c = {
      targetLevelDbfs: config.targetLevelDbfs ?? -12,
      maxGainDb: config.maxGainDb ?? 30,
      attackMs: config.attackMs ?? 10,
      releaseMs: config.releaseMs ?? 300,
      noiseGateDbfs: config.noiseGateDbfs ?? -55,
    };
    if (!Number.isFinite(c.targetLevelDbfs) || c.targetLevelDbfs > 0 || c.targetLevelDbfs < -100) {
      throw new ValidationError(`AGC targetLevelDbfs must be between -100 and 0, got ${c.targetLevelDbfs}`);
    }
    if (!Number.isFinite(c.maxGainDb) || c.maxGainDb < 0) {
      throw new ValidationError(`AGC maxGainDb must be >= 0, got ${c.maxGainDb}`);
    }
    if (!(c.attackMs >= 0) || !(c.releaseMs >= 0)) {
      throw new ValidationError('AGC attackMs and releaseMs must be >= 0');
    }
    this.config = c;
  }

  createStage(ctx: StageContext): FrameStage {
    return new SimpleAGCStage(ctx.sampleRate, this.config);
  }
}

class SimpleAGCStage implements FrameStage {
  readonly preservesInput = true;
  private readonly out = new ReusableFrame();
  private readonly kernel = LevelKernel.get();
  private readonly targetRms: number;
  private readonly maxGain: number;
  private readonly gateRms: number;
  private gain = 1;
  // Smoothing coefficients depend on frame length; cache the last one.
  private coefLength = -1;
  private attackCoef = 0;
  private releaseCoef = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly config: Required<AGCConfig>,
  ) {
    this.targetRms = 32768 * 10 ** (config.targetLevelDbfs / 20);
    this.maxGain = 10 ** (config.maxGainDb / 20);
    this.gateRms = 32768 * 10 ** (config.noiseGateDbfs / 20);
  }

  process(frame: AudioFrame): AudioFrame {
    const input = frame.data;
    const n = input.length;
    const out = this.out.prepare(n, frame);
    if (n === 0) return out;
    // The two loops over the samples (levels, then the gain ramp) run in wasm SIMD.
    const kernel = this.kernel;
    const sum = kernel.scan(input);
    const peak = kernel.peak;
    const rms = Math.sqrt(sum / n);
    let desired = this.gain;
    if (rms > this.gateRms) {
      desired = this.targetRms / rms;
      if (desired > this.maxGain) desired = this.maxGain;
    }
    if (n !== this.coefLength) this.updateCoefficients(n);
    const coef = desired < this.gain ? this.attackCoef : this.releaseCoef;
    let next = desired + (this.gain - desired) * coef;
    // Peak limit on both ends of the ramp: the product never leaves the int16 range.
    const limit = peak > 0 ? 32767 / peak : this.maxGain;
    let start = this.gain;
    if (start > limit) start = limit;
    if (next > limit) next = limit;
    // Each sample is scaled by the ramp's gain there and rounded half up (Math.round's rule).
    kernel.applyRamp(input, out.data, start, (next - start) / n);
    this.gain = next;
    return out;
  }

  reset(): void {
    this.gain = 1;
  }

  private updateCoefficients(n: number): void {
    const frameMs = (n / this.sampleRate) * 1000;
    const { attackMs, releaseMs } = this.config;
    this.attackCoef = attackMs > 0 ? Math.exp(-frameMs / attackMs) : 0;
    this.releaseCoef = releaseMs > 0 ? Math.exp(-frameMs / releaseMs) : 0;
    this.coefLength = n;
  }
}
