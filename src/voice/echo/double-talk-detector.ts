import { ValidationError } from '../../core/errors.js';

export interface DoubleTalkOptions {
  /**
   * Echo power relative to the reference assumed before any is measured (dB). The first
   * reply of a call is judged against it while the detector learns the real figure.
   * Default 0 (the echo may be as loud as what is played).
   */
  initialEchoGainDb?: number;
  /** How far above the echo expected after cancellation the input must rise (dB). Default 6. */
  marginDb?: number;
  /** How far above the echo expected in the raw microphone signal it must rise (dB). Default 3. */
  micMarginDb?: number;
  /** Sustained this long before the input counts as the caller. Default 40 ms. */
  onsetMs?: number;
  /** Keeps counting as the caller this long after the last loud frame (speech has dips). Default 200 ms. */
  hangoverMs?: number;
  /** Quieter input never counts as the caller while echo is expected (dBFS). Default -55. */
  floorDbfs?: number;
  /** After playback starts (from silence), the input cannot count as the caller for this long. Default 0. */
  warmupMs?: number;
  /**
   * Input above the expected echo for this long without a break, while playing, is taken
   * to be louder echo than learnt (and learnt). Default 4000 ms.
   */
  stuckMs?: number;
}

export interface DoubleTalkState {
  /** Echo is expected in this frame (something was played within the echo path's reach). */
  echoExpected: boolean;
  /** The input rises clearly above the expected echo: the caller is talking. */
  nearEnd: boolean;
}

/**
 * Reference power below this (about -100 dBFS) produces no echo at all. Quiet echo is still
 * feared above the line's noise (see `update`): a VAD that judges the sound's shape rather
 * than its level (WebRTC's) took the -68 dBFS onset of a reply's echo, let through because
 * its reference was under -60 dBFS, for the caller.
 */
const REF_ACTIVE = 1e-10;
/** Learning windows: about 3 s of frames each. */
const WINDOW = 150;
/** Until this many frames are in a window, the assumed figure still bounds it from below. */
const MIN_LEARNED = 25;
const QUANTILE = 0.9;

/**
 * Double-talk detection: decides, frame by frame while echo is expected, whether the input
 * is the caller or only the agent's own voice coming back. It learns two echo gains
 * (expected echo power / reference power): in the raw microphone signal, and left after the
 * canceller (which falls as the filter converges). Each is the 90th percentile of recent
 * echo-only frames; the input counts as the caller only when it exceeds both by a margin,
 * for `onsetMs`, and then stays so through short dips (`hangoverMs`).
 */
export class DoubleTalkDetector {
  private readonly opts: Required<DoubleTalkOptions>;
  private readonly mic = new GainWindow();
  private readonly out = new GainWindow();
  private readonly floor: number;
  private loudMs = 0;
  private unexplainedMs = 0;
  private noise = 0;
  private sinceLoudMs = Number.POSITIVE_INFINITY;
  private echoMs = 0;
  private nearEnd = false;

  constructor(options: DoubleTalkOptions = {}) {
    this.opts = {
      initialEchoGainDb: options.initialEchoGainDb ?? 0,
      marginDb: options.marginDb ?? 6,
      micMarginDb: options.micMarginDb ?? 3,
      onsetMs: options.onsetMs ?? 40,
      hangoverMs: options.hangoverMs ?? 200,
      floorDbfs: options.floorDbfs ?? -55,
      warmupMs: options.warmupMs ?? 0,
      stuckMs: options.stuckMs ?? 4000,
    };
    for (const [name, v] of Object.entries(this.opts)) {
      if (!Number.isFinite(v)) throw new ValidationError(`double-talk ${name} must be a number, got ${v}`);
    }
    this.floor = 10 ** (this.opts.floorDbfs / 10);
  }

  /** Echo gain now assumed in the raw microphone signal (dB). */
  get echoGainDb(): number {
    return this.mic.quantileDb(this.opts.initialEchoGainDb);
  }

  /** Echo gain now assumed after cancellation (dB); echo gain minus this is the ERLE. */
  get residualGainDb(): number {
    return this.out.quantileDb(this.opts.initialEchoGainDb);
  }

  /**
   * One frame: mean squares (full scale = 1) of the microphone, of the canceller's output,
   * and of the reference that could be echoing in it now. `learn` false: the reference is
   * only an upper bound (the echo path's delay is not known yet, so the loudest of a long
   * window stands in for it), and gains learnt against it would be too low.
   */
  update(
    micPower: number,
    outPower: number,
    refPower: number,
    frameMs: number,
    learn = true,
  ): DoubleTalkState {
    const { initialEchoGainDb: initial, marginDb, micMarginDb } = this.opts;
    const micTypical = this.mic.quantileDb(initial);
    // Echo below the line's own noise cannot be told from it, nor mistaken for the caller.
    if (refPower < REF_ACTIVE || refPower * 10 ** (micTypical / 10) < this.noise) {
      this.trackNoise(micPower);
      this.echoMs = 0;
      this.loudMs = this.unexplainedMs = 0;
      this.nearEnd = false;
      this.sinceLoudMs = Number.POSITIVE_INFINITY;
      return { echoExpected: false, nearEnd: true };
    }
    this.echoMs += frameMs;
    const outTypical = this.out.quantileDb(initial);
    const micRatio = toDb(micPower / refPower);
    const outRatio = toDb(outPower / refPower);
    const micAbove = micRatio > micTypical + micMarginDb;
    const outAbove = outRatio > outTypical + marginDb;
    // Both must agree: the raw microphone (so a filter still converging, or thrown off, cannot
    // make echo look like a caller) and the canceller's output (so echo that grew louder but
    // is still cancelled does not either).
    const loud = outPower > this.floor && micAbove && outAbove;
    this.unexplainedMs = micAbove || outAbove ? this.unexplainedMs + frameMs : 0;
    // Learn only from frames that are plainly echo: the caller's must not teach the windows
    // that echo is loud (each barge-in would raise the bar for the next). But input above
    // the learnt echo that never stops while something plays is the echo itself grown
    // louder (volume up, a new path): learnt too, instead of crying "caller" forever.
    // Nor from the line's noise: before the echo arrives the microphone holds only that.
    const echoHeard = micPower > this.noise * 2;
    if (learn && echoHeard && (this.unexplainedMs === 0 || this.unexplainedMs > this.opts.stuckMs)) {
      this.mic.add(micRatio);
      this.out.add(outRatio);
    }
    this.loudMs = loud ? this.loudMs + frameMs : 0;
    this.sinceLoudMs = loud ? 0 : this.sinceLoudMs + frameMs;
    if (this.echoMs <= this.opts.warmupMs) this.nearEnd = false;
    else if (this.loudMs >= this.opts.onsetMs) this.nearEnd = true;
    else if (this.sinceLoudMs > this.opts.hangoverMs) this.nearEnd = false;
    return { echoExpected: true, nearEnd: this.nearEnd };
  }

  /** Noise floor of the line, followed quickly down and slowly up (speech must not lift it). */
  private trackNoise(power: number): void {
    if (this.noise === 0 || power < this.noise) this.noise += (power - this.noise) * (this.noise ? 0.3 : 1);
    else this.noise += (power - this.noise) * 0.01;
  }

  reset(): void {
    this.mic.clear();
    this.out.clear();
    this.loudMs = this.unexplainedMs = 0;
    this.noise = 0;
    this.echoMs = 0;
    this.nearEnd = false;
    this.sinceLoudMs = Number.POSITIVE_INFINITY;
  }
}

/** Recent per-frame echo gains (dB) and their 90th percentile. */
class GainWindow {
  private readonly values = new Float64Array(WINDOW);
  private readonly sorted = new Float64Array(WINDOW);
  private count = 0;
  private next = 0;
  private cached: number | undefined;

  add(db: number): void {
    this.values[this.next] = db;
    this.next = (this.next + 1) % WINDOW;
    if (this.count < WINDOW) this.count++;
    this.cached = undefined;
  }

  /** The percentile, never below `assumed` until enough frames were seen. */
  quantileDb(assumed: number): number {
    if (this.count === 0) return assumed;
    if (this.cached === undefined) {
      const view = this.sorted.subarray(0, this.count);
      view.set(this.values.subarray(0, this.count));
      view.sort();
      this.cached = view[Math.min(this.count - 1, Math.floor(this.count * QUANTILE))];
    }
    return this.count < MIN_LEARNED ? Math.max(assumed, this.cached) : this.cached;
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
    this.cached = undefined;
  }
}

function toDb(ratio: number): number {
  return 10 * Math.log10(Math.max(ratio, 1e-12));
}
