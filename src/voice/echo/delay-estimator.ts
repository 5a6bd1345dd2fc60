export interface DelayEstimatorOptions {
  sampleRate: number;
  /** Longest echo path searched. Default 800 ms. */
  maxDelayMs?: number;
  /** History correlated per estimate. Default 2000 ms. */
  windowMs?: number;
  /** Re-estimate this often. Default 250 ms. */
  intervalMs?: number;
  /** Normalised correlation a peak needs to count. Default 0.35. */
  minCorrelation?: number;
}

export interface DelayEstimate {
  delayMs: number;
  /** Normalised correlation at the peak (0-1). */
  correlation: number;
}

const BIN_MS = 4;
// Envelope smoothing over about 16 ms, and the running mean removed from it (about 100 ms).
const PITCH_SMOOTH = 1 / 4;
const SLOW = 1 / 25;
// Shortest correlation window (bins): one second.
const MIN_WINDOW = 1000 / BIN_MS;
// Share of the window in which the reference must be playing, at the lag tried.
const MIN_ACTIVE = 0.5;
// A new delay replaces an adopted one after this many agreeing estimates of this strength.
const CHANGE_RUNS = 3;
const CHANGE_CORRELATION = 0.5;
// ...and only if the adopted lag has clearly stopped matching.
const KEEP_MARGIN = 0.15;
const REFINE_CORRELATION = 0.8;
// The first estimate: this strong, twice in a row.
const FIRST_CORRELATION = 0.6;

/**
 * Finds how long the echo path is: the lag at which the microphone's envelope best matches
 * the reference's. Both are reduced to an amplitude envelope (one value per 4 ms bin,
 * smoothed over a pitch period, its running mean removed), and the normalised
 * cross-correlation is searched over [0, maxDelayMs] every `intervalMs`, on the last
 * `windowMs` of audio, counting only lags at which the reference was mostly playing and
 * only microphone audio that can hold echo without the caller talking over it.
 *
 * Tracking is conservative, because a wrong delay blinds the canceller: the first delay
 * needs two agreeing estimates of correlation >= 0.6; a refinement of a few milliseconds
 * needs >= 0.8; a different delay needs three agreeing estimates >= 0.5 while the adopted
 * one has clearly stopped matching. Measured on flite speech (10 replies x 40-400 ms x
 * -6/-20 dB echo, -50 dBFS noise): the first estimate arrives 1.3 s (at most 1.8 s) into
 * the first reply, within 2 ms.
 */
export class EchoDelayEstimator {
  readonly binSamples: number;
  private readonly maxLag: number;
  private readonly window: number;
  private readonly interval: number;
  private readonly minCorrelation: number;
  private readonly micEnv: Float64Array;
  private readonly refEnv: Float64Array;
  private readonly refActive: Uint8Array;
  /** 0 where the microphone audio was not informative: left out of the correlation. */
  private readonly micValid: Uint8Array;
  private ignoreMic = false;
  private bins = 0; // bins pushed so far
  private micAcc = 0;
  private refAcc = 0;
  private accFill = 0;
  private micMean = 0;
  private micSmooth = 0;
  private refSmooth = 0;
  private refMean = 0;
  private sinceEstimate = 0;
  private adopted: DelayEstimate | undefined;
  private candidate: number | undefined;
  private candidateRuns = 0;
  private readonly corr: Float64Array;

  constructor(opts: DelayEstimatorOptions) {
    this.binSamples = Math.max(1, Math.round((opts.sampleRate * BIN_MS) / 1000));
    this.maxLag = Math.round((opts.maxDelayMs ?? 800) / BIN_MS);
    this.window = Math.round((opts.windowMs ?? 2000) / BIN_MS);
    this.interval = Math.max(1, Math.round((opts.intervalMs ?? 250) / BIN_MS));
    this.minCorrelation = opts.minCorrelation ?? 0.35;
    const size = this.window + this.maxLag + 1;
    this.micEnv = new Float64Array(size);
    this.refEnv = new Float64Array(size);
    this.refActive = new Uint8Array(size);
    this.micValid = new Uint8Array(size);
    this.corr = new Float64Array(this.maxLag + 1);
  }

  /** The adopted estimate (undefined until the first confident one). */
  get estimate(): DelayEstimate | undefined {
    return this.adopted;
  }

  /**
   * Adds aligned samples: `mic[i]` was captured while `ref[i]` was being played (no delay
   * applied). `ignoreMic`: this microphone audio says nothing about the echo (nothing was playing, or the caller talks over it) and is left out. Returns the
   * new estimate when the adopted delay changed.
   */
  push(mic: Int16Array, ref: Int16Array, ignoreMic = false): DelayEstimate | undefined {
    this.ignoreMic = ignoreMic;
    let changed: DelayEstimate | undefined;
    for (let i = 0; i < mic.length; i++) {
      const m = mic[i] / 32768;
      const r = ref[i] / 32768;
      this.micAcc += m * m;
      this.refAcc += r * r;
      if (++this.accFill < this.binSamples) continue;
      changed = this.pushBin(this.micAcc / this.binSamples, this.refAcc / this.binSamples) ?? changed;
      this.micAcc = this.refAcc = 0;
      this.accFill = 0;
    }
    return changed;
  }

  /** Forget everything (a new, unrelated echo path). */
  reset(): void {
    this.bins = 0;
    this.micAcc = this.refAcc = 0;
    this.accFill = 0;
    this.sinceEstimate = 0;
    this.adopted = undefined;
    this.candidate = undefined;
  }

  private pushBin(micPow: number, refPow: number): DelayEstimate | undefined {
    const size = this.micEnv.length;
    const at = this.bins % size;
    // Energy over the last 16 ms (4 bins): longer than a pitch period, so voicing pulses
    // (whose period would make peaks one pitch period off the true delay) average out.
    this.micSmooth += (micPow - this.micSmooth) * PITCH_SMOOTH;
    this.refSmooth += (refPow - this.refSmooth) * PITCH_SMOOTH;
    // Amplitude (not log energy: the noise floor would shape a log envelope's dips
    // differently in the two signals) minus its recent mean, so the syllable pattern is
    // what lines up. Smooth enough that a half-bin offset still matches.
    const micAmp = Math.sqrt(this.micSmooth);
    const refAmp = Math.sqrt(this.refSmooth);
    this.micMean += (micAmp - this.micMean) * SLOW;
    this.refMean += (refAmp - this.refMean) * SLOW;
    this.micEnv[at] = micAmp - this.micMean;
    this.refEnv[at] = refAmp - this.refMean;
    this.refActive[at] = refPow > 1e-6 ? 1 : 0; // above about -60 dBFS
    this.micValid[at] = this.ignoreMic ? 0 : 1;
    this.bins++;
    // A first estimate needs about a second of history beyond the longest lag.
    if (++this.sinceEstimate < this.interval || this.bins < this.maxLag + MIN_WINDOW) return undefined;
    this.sinceEstimate = 0;
    return this.estimateNow();
  }

  private estimateNow(): DelayEstimate | undefined {
    const size = this.micEnv.length;
    const newest = this.bins - 1;
    const first = Math.max(newest - this.window + 1, this.bins - size + this.maxLag, this.maxLag);
    const length = newest - first + 1;
    let micNorm = 0;
    let valid = 0;
    for (let t = first; t <= newest; t++) {
      if (!this.micValid[t % size]) continue;
      const v = this.micEnv[t % size];
      micNorm += v * v;
      valid++;
    }
    // Mostly uninformative (double talk, nothing playing): no estimate.
    if (valid < length / 2) return undefined;
    let best = -1;
    let bestLag = 0;
    for (let lag = 0; lag <= this.maxLag; lag++) {
      let dot = 0;
      let refNorm = 0;
      let active = 0;
      for (let t = first; t <= newest; t++) {
        const at = t % size;
        const back = (t - lag) % size;
        active += this.refActive[back];
        if (!this.micValid[at]) continue;
        const r = this.refEnv[back];
        dot += this.micEnv[at] * r;
        refNorm += r * r;
      }
      // Only lags at which something was mostly playing: a correlation with silence (or with
      // the caller talking after playback stopped) means nothing.
      const c =
        active >= length * MIN_ACTIVE && micNorm > 0 && refNorm > 0 ? dot / Math.sqrt(micNorm * refNorm) : 0;
      this.corr[lag] = c;
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    if (best < this.minCorrelation) return undefined;
    return this.track(bestLag * BIN_MS, best);
  }

  private track(delayMs: number, correlation: number): DelayEstimate | undefined {
    const current = this.adopted;
    if (!current) {
      // The first one too needs a confirmation: early estimates rest on little audio.
      if (correlation < FIRST_CORRELATION) return undefined;
      if (this.candidate === undefined || Math.abs(this.candidate - delayMs) > 2 * BIN_MS) {
        this.candidate = delayMs;
        return undefined;
      }
      this.candidate = undefined;
      this.adopted = { delayMs, correlation };
      return { ...this.adopted };
    }
    if (Math.abs(delayMs - current.delayMs) <= 2 * BIN_MS) {
      // A refinement (early estimates rest on little audio): follow it when it is clean;
      // double talk drags weak peaks around.
      this.candidate = undefined;
      // One bin at a time: a real drift gets there, a stray peak flips back.
      if (correlation < REFINE_CORRELATION || delayMs === current.delayMs) return undefined;
      this.adopted = {
        delayMs: current.delayMs + Math.sign(delayMs - current.delayMs) * BIN_MS,
        correlation,
      };
      return { ...this.adopted };
    }
    // Moving an adopted delay re-aligns the canceller: only on strong, repeated evidence
    // (double talk makes weak peaks elsewhere for a moment).
    if (correlation < Math.max(this.minCorrelation, CHANGE_CORRELATION)) return undefined;
    const atCurrent = this.corr[Math.round(current.delayMs / BIN_MS)] ?? 0;
    if (atCurrent >= correlation - KEEP_MARGIN) return undefined;
    if (this.candidate === undefined || Math.abs(this.candidate - delayMs) > 2 * BIN_MS) {
      this.candidate = delayMs;
      this.candidateRuns = 1;
      return undefined;
    }
    if (++this.candidateRuns < CHANGE_RUNS) return undefined;
    this.candidate = undefined;
    this.adopted = { delayMs, correlation };
    return { ...this.adopted };
  }
}
