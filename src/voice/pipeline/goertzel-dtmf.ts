import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import {
  DTMF_DIGITS,
  type DTMFDetector,
  type DTMFDigit,
  type DTMFEvent,
  type DTMFStage,
  type StageContext,
} from './stages.js';

export interface GoertzelDTMFOptions {
  /** Quietest tone (each of the pair, dBFS RMS) that counts. Default -40. */
  minToneDbfs?: number;
  /** Largest level difference between the row and column tones. Default 8 dB. */
  maxTwistDb?: number;
  /** The chosen row/column must beat the other rows/columns by this much. Default 8 dB. */
  minPeakRatioDb?: number;
  /** Share of the block's energy the two tones must hold (speech spreads it). Default 0.7. */
  minToneShare?: number;
}

const ROW_HZ = [697, 770, 852, 941];
const COLUMN_HZ = [1209, 1336, 1477, 1633];
/** 25.6 ms analysis windows (205 samples at 8 kHz), hopped by half a window. */
const WINDOW_SECONDS = 0.0256;
/** A digit must be seen in this many consecutive windows (~38 ms) to count. */
const CONFIRM_WINDOWS = 2;

/**
 * In-band DTMF: Goertzel filters on the 8 row/column frequencies over overlapping windows.
 * A window names a digit only when one row and one column clearly dominate, their levels
 * are within the twist limit, and together they hold most of the energy (voiced speech has
 * many harmonics, noise is broadband, so neither passes). A digit is reported once when
 * confirmed and not again until the tone stops, so a held key is one digit.
 */
export class GoertzelDTMFDetector implements DTMFDetector {
  readonly name = 'goertzel-dtmf';
  readonly options: Required<GoertzelDTMFOptions>;

  constructor(options: GoertzelDTMFOptions = {}) {
    this.options = {
      minToneDbfs: options.minToneDbfs ?? -40,
      maxTwistDb: options.maxTwistDb ?? 8,
      minPeakRatioDb: options.minPeakRatioDb ?? 8,
      minToneShare: options.minToneShare ?? 0.7,
    };
  }

  createStage(ctx: StageContext): DTMFStage {
    if (ctx.sampleRate < 4000)
      throw new ValidationError(`DTMF needs at least 4 kHz audio, got ${ctx.sampleRate}`);
    return new GoertzelDTMFStage(ctx.sampleRate, this.options);
  }
}

class GoertzelDTMFStage implements DTMFStage {
  private readonly window: Float64Array;
  private readonly hop: number;
  private fill = 0;
  private readonly coefs: Float64Array; // 2cos(w) for rows then columns
  private readonly powers = new Float64Array(8);
  private readonly minTonePower: number;
  private readonly maxTwist: number;
  private readonly minPeakRatio: number;
  private readonly minToneShare: number;
  private candidate: DTMFDigit | null = null;
  private candidateCount = 0;
  private active: DTMFDigit | null = null;
  private readonly pending: DTMFEvent[] = [];

  constructor(sampleRate: number, options: Required<GoertzelDTMFOptions>) {
    const size = Math.round(sampleRate * WINDOW_SECONDS);
    this.window = new Float64Array(size);
    this.hop = size >> 1;
    this.coefs = new Float64Array(
      [...ROW_HZ, ...COLUMN_HZ].map((f) => 2 * Math.cos((2 * Math.PI * f) / sampleRate)),
    );
    // A sine of RMS r over N samples has Goertzel power (r * N / sqrt 2)^2.
    const r = 32768 * 10 ** (options.minToneDbfs / 20);
    this.minTonePower = (r * size) ** 2 / 2;
    this.maxTwist = 10 ** (options.maxTwistDb / 10);
    this.minPeakRatio = 10 ** (options.minPeakRatioDb / 10);
    this.minToneShare = options.minToneShare;
  }

  process(frame: AudioFrame): DTMFEvent | null {
    const data = frame.data;
    const win = this.window;
    let i = 0;
    while (i < data.length) {
      const n = Math.min(win.length - this.fill, data.length - i);
      for (let k = 0; k < n; k++) win[this.fill + k] = data[i + k];
      this.fill += n;
      i += n;
      if (this.fill === win.length) {
        this.track(this.analyse());
        win.copyWithin(0, this.hop);
        this.fill = win.length - this.hop;
      }
    }
    return this.pending.length > 0 ? this.pending.shift()! : null;
  }

  reset(): void {
    this.fill = 0;
    this.candidate = null;
    this.candidateCount = 0;
    this.active = null;
    this.pending.length = 0;
  }

  /** Debounce: confirm after CONFIRM_WINDOWS equal windows, re-arm after as many silent ones. */
  private track(digit: DTMFDigit | null): void {
    if (digit === this.candidate) this.candidateCount++;
    else {
      this.candidate = digit;
      this.candidateCount = 1;
    }
    if (this.candidateCount < CONFIRM_WINDOWS) return;
    if (digit !== null && digit !== this.active) this.pending.push({ digit });
    this.active = digit;
  }

  private analyse(): DTMFDigit | null {
    const x = this.window;
    const n = x.length;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += x[i] * x[i];
    if (energy === 0) return null;
    const p = this.powers;
    for (let k = 0; k < 8; k++) {
      const c = this.coefs[k];
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      p[k] = s1 * s1 + s2 * s2 - c * s1 * s2;
    }
    const row = strongest(p, 0);
    const col = strongest(p, 4);
    const rowPower = p[row];
    const colPower = p[col];
    if (rowPower < this.minTonePower || colPower < this.minTonePower) return null;
    if (rowPower > colPower * this.maxTwist || colPower > rowPower * this.maxTwist) return null;
    for (let k = 0; k < 4; k++) {
      if (k !== row && p[k] * this.minPeakRatio > rowPower) return null;
      if (k + 4 !== col && p[k + 4] * this.minPeakRatio > colPower) return null;
    }
    // Goertzel power of a sine is N/2 times its energy over the window.
    const toneEnergy = ((rowPower + colPower) * 2) / n;
    if (toneEnergy < this.minToneShare * energy) return null;
    return DTMF_DIGITS[row * 4 + (col - 4)];
  }
}

function strongest(p: Float64Array, from: number): number {
  let best = from;
  for (let k = from + 1; k < from + 4; k++) if (p[k] > p[best]) best = k;
  return best;
}
