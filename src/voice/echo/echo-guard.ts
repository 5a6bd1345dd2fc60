import { ValidationError } from '../../core/errors.js';
import { ReusableFrame } from '../pipeline/reusable-frame.js';
import type { AECStage } from '../pipeline/stages.js';
import type { AudioFrame } from '../types.js';
import { CaptureClock } from './capture-clock.js';
import { EchoDelayEstimator } from './delay-estimator.js';
import { type DoubleTalkOptions, DoubleTalkDetector } from './double-talk-detector.js';
import { ReferenceTimeline } from './reference-timeline.js';

export interface EchoGuardOptions {
  /** Longest echo path searched (transport + device + room), ms. Default 800. */
  maxDelayMs?: number;
  /** Skip estimation: the echo path is known to be this long (ms). */
  fixedDelayMs?: number;
  /**
   * The reference is delayed so the echo lands this far into the canceller's filter:
   * room for estimation error and for the sound that precedes the main path. Default 24 ms.
   */
  alignMarginMs?: number;
  /** Double-talk detection (what counts as the caller while the agent speaks). */
  doubleTalk?: DoubleTalkOptions;
  /**
   * Level left of input judged to be echo only (dB). Default: none (silence). An attenuated
   * copy of the echo is still speech to a VAD that judges the sound's shape rather than its
   * level: WebRTC's VAD (what `roomkit serve` runs on phone calls) took flite echo left at
   * -65 dBFS by a -40 dB suppression for the caller and barged in on the reply.
   */
  suppressionDb?: number;
}

/** Snap for reference times from a playout model: only float rounding, never an underrun's gap. */
const EXACT_TOLERANCE_MS = 0.5;
/** What the guard knows about the echo path right now (for diagnostics and tests). */
export interface EchoGuardState {
  /** Estimated echo path (ms, from playback time to microphone), once estimated. */
  delayMs?: number;
  /** How much the reference is delayed before the canceller sees it (ms). */
  alignedMs: number;
  /** Echo is expected in the latest frame. */
  echoExpected: boolean;
  /** The latest frame counted as the caller. */
  nearEnd: boolean;
  /** Echo gain learnt in the raw microphone signal (dB). */
  echoGainDb: number;
  /** Echo gain left after cancellation (dB). */
  residualGainDb: number;
}

const DEFAULT_FILTER_MS = 200;
/** How far off the delay estimate may be when predicting the echo. */
const DELAY_SLACK_MS = 8;
/** How long after the direct path the echo keeps ringing in the prediction (room decay). */
const TAIL_DECAY_DB_PER_MS = 0.25;
/** Residual suppression taking more than 10 dB off a frame judged to be the caller is lagging. */
const RES_LAG_RATIO = 0.1;
/** Output more than 3 dB above the microphone: the filter is adding, not removing. */
const DIVERGED_RATIO = 2;
/** ...for this long: restart it. */
const RESTART_DIVERGED_MS = 200;
/** About -55 dBFS: the least a filter must add to be heard (the energy VAD starts near -41). */
const AUDIBLE = 3e-6;

/**
 * Keeps the agent's own voice, played to the caller and picked up again by their
 * microphone, from being heard as the caller. Per session, around the AEC stage:
 *
 * - the reference is stored when it is played (`feedReference`, on the session clock) and
 *   the microphone is placed on the same clock, so the two line up whatever the pace at
 *   which the TTS produced the audio;
 * - the echo path's delay is estimated and tracked (EchoDelayEstimator) and the reference
 *   is delayed to match, so the canceller's filter only has to model the room, not the
 *   network;
 * - after cancellation, a double-talk detector lets input through only when it rises
 *   clearly above the echo expected from what was played; echo-only input is suppressed,
 *   so neither the VAD, nor the STT, nor any barge-in strategy hears it.
 */
export class EchoGuard {
  private readonly timeline: ReferenceTimeline;
  private readonly capture: CaptureClock;
  private readonly estimator: EchoDelayEstimator | undefined;
  private readonly detector: DoubleTalkDetector;
  private readonly suppression: number;
  private readonly alignMargin: number;
  private readonly maxDelay: number;
  private readonly slack: number;
  private readonly tailDecayPerSample: number;
  private delay: number | undefined; // samples
  private aligned = 0; // samples
  private echoDriver = 0;
  private divergedMs = 0;
  private refRaw = new Int16Array(0);
  private refAligned = new Int16Array(0);
  private readonly refFrame: AudioFrame;
  private readonly gated = new ReusableFrame();
  private last: { echoExpected: boolean; nearEnd: boolean } = { echoExpected: false, nearEnd: true };

  constructor(
    readonly sampleRate: number,
    options: EchoGuardOptions = {},
  ) {
    const ms = (v: number) => Math.round((v * sampleRate) / 1000);
    const bad = (
      [
        ['maxDelayMs', options.maxDelayMs, 20, 5000],
        ['fixedDelayMs', options.fixedDelayMs, 0, 5000],
        ['alignMarginMs', options.alignMarginMs, 0, 200],
        ['suppressionDb', options.suppressionDb, -120, 0],
      ] as const
    ).find(([, v, min, max]) => v !== undefined && !(v >= min && v <= max));
    if (bad) throw new ValidationError(`echo ${bad[0]} must be in [${bad[2]}, ${bad[3]}], got ${bad[1]}`);
    this.maxDelay = ms(options.maxDelayMs ?? 800);
    this.alignMargin = ms(options.alignMarginMs ?? 24);
    this.slack = ms(DELAY_SLACK_MS);
    this.tailDecayPerSample = 10 ** (-TAIL_DECAY_DB_PER_MS / 10 / (sampleRate / 1000));
    // Room for the longest delay plus a frame or two, and a burst played ahead of the clock.
    this.timeline = new ReferenceTimeline(sampleRate, (options.maxDelayMs ?? 800) + 10_000);
    this.capture = new CaptureClock(sampleRate);
    if (options.fixedDelayMs !== undefined) {
      this.delay = ms(options.fixedDelayMs);
    } else {
      this.estimator = new EchoDelayEstimator({ sampleRate, maxDelayMs: options.maxDelayMs });
    }
    this.detector = new DoubleTalkDetector(options.doubleTalk);
    this.suppression = options.suppressionDb === undefined ? 0 : 10 ** (options.suppressionDb / 20);
    this.refFrame = { data: this.refAligned, sampleRate, channels: 1 };
  }

  get state(): EchoGuardState {
    const toMs = (samples: number) => (samples * 1000) / this.sampleRate;
    return {
      ...(this.delay !== undefined ? { delayMs: toMs(this.delay) } : {}),
      alignedMs: toMs(this.aligned),
      echoExpected: this.last.echoExpected,
      nearEnd: this.last.nearEnd,
      echoGainDb: this.detector.echoGainDb,
      residualGainDb: this.detector.residualGainDb,
    };
  }

  /**
   * A frame (mono, at the guard's rate) starts playing to the caller at `atMs`; `exact` when
   * that time comes from a playout model rather than a callback's arrival (see
   * ReferenceTimeline.write).
   */
  feedReference(samples: Int16Array, atMs: number, exact = false): void {
    this.timeline.write(samples, (atMs * this.sampleRate) / 1000, exact ? EXACT_TOLERANCE_MS : undefined);
  }

  /** Playback stopped at `atMs` (barge-in): nothing queued after that will be heard. */
  truncate(atMs: number): void {
    this.timeline.truncateAt((atMs * this.sampleRate) / 1000);
  }

  /**
   * One microphone frame that arrived at `nowMs`: cancelled by `aec` against the aligned
   * reference, then suppressed unless it counts as the caller. Returns a borrowed frame.
   */
  process(frame: AudioFrame, nowMs: number, aec: AECStage): AudioFrame {
    const n = frame.data.length;
    const at = this.capture.place(n, nowMs);
    if (this.refRaw.length !== n) {
      this.refRaw = new Int16Array(n);
      this.refAligned = new Int16Array(n);
      this.refFrame.data = this.refAligned;
    }
    if (this.estimator) {
      this.timeline.read(this.refRaw, at);
      // Only audio that holds echo, and not while the caller talks over it, says anything
      // about the echo path.
      const informative = this.last.echoExpected && !this.last.nearEnd;
      const change = this.estimator.push(frame.data, this.refRaw, !informative);
      if (change) this.adoptDelay(Math.round((change.delayMs * this.sampleRate) / 1000), aec);
    } else if (this.aligned === 0 && this.delay !== undefined) {
      this.adoptDelay(this.delay, aec);
    }
    this.timeline.read(this.refAligned, at - this.aligned);
    this.refFrame.timestampMs = frame.timestampMs;
    aec.feedReference(this.refFrame);
    const frameMs = (n * 1000) / this.sampleRate;
    const micPower = meanSquare(frame.data);
    let out = aec.process(frame);
    let linear = aec.linearOutput?.data.length === n ? aec.linearOutput : out;
    let linearPower = meanSquare(linear.data);
    // A canceller never adds energy. One that does has diverged (it adapted to the caller
    // during double talk) and would put its wrong echo estimate in front of the VAD: the
    // microphone goes on instead, and a filter that stays wrong is restarted.
    if (linearPower > micPower * DIVERGED_RATIO) {
      out = linear = frame;
      linearPower = micPower;
      // Only a filter adding audible sound needs a restart: while it converges, its small
      // misses in the pauses (under a quiet line's noise) are no reason to start over.
      this.divergedMs = linearPower > AUDIBLE ? this.divergedMs + frameMs : 0;
      if (this.divergedMs >= RESTART_DIVERGED_MS) {
        aec.reset?.();
        this.divergedMs = 0;
      }
    } else {
      this.divergedMs = 0;
    }
    const echo = this.predictEcho(at, n);
    this.last = this.detector.update(micPower, linearPower, echo, frameMs, this.delay !== undefined);
    if (!this.last.echoExpected) return out;
    if (this.last.nearEnd) {
      // A residual suppressor needs ~100 ms to notice double talk and meanwhile removes the
      // caller's first syllable: the linear output (their voice, echo mostly gone) instead.
      return meanSquare(out.data) < linearPower * RES_LAG_RATIO ? linear : out;
    }
    const quiet = this.gated.prepare(n, out);
    if (this.suppression === 0) quiet.data.fill(0);
    else for (let i = 0; i < n; i++) quiet.data[i] = Math.round(out.data[i] * this.suppression);
    return quiet;
  }

  reset(): void {
    this.timeline.reset();
    this.capture.reset();
    this.estimator?.reset();
    this.detector.reset();
    this.echoDriver = 0;
    this.last = { echoExpected: false, nearEnd: true };
  }

  /**
   * The reference power that can be echoing in [at, at + n), held with a decay for the
   * room's tail (a short echo path has a short tail; the decay is a room's, not a hall's).
   */
  private predictEcho(at: number, n: number): number {
    // Unknown delay: the loudest anything played within reach could echo. Known: what was
    // playing one delay ago, frame for frame.
    let now: number;
    if (this.delay === undefined) {
      now = this.timeline.peakPower(at - this.maxDelay, at + n);
    } else {
      // The delay is known to a few milliseconds: the worst of three alignments.
      const from = at - this.delay;
      const s = this.slack;
      now = Math.max(
        this.timeline.meanPower(from - s, from + n - s),
        this.timeline.meanPower(from, from + n),
        this.timeline.meanPower(from + s, from + n + s),
      );
    }
    this.echoDriver = Math.max(now, this.echoDriver * this.tailDecayPerSample ** n);
    return this.echoDriver;
  }

  /**
   * A new delay estimate. The reference is re-aligned only when the echo would fall outside
   * the comfortable part of the filter: re-aligning costs a re-convergence, a few
   * milliseconds of error cost nothing.
   */
  private adoptDelay(delay: number, aec: AECStage): void {
    this.delay = delay;
    const filter = Math.round(((aec.filterLengthMs ?? DEFAULT_FILTER_MS) * this.sampleRate) / 1000);
    const inFilter = delay - this.aligned;
    if (inFilter >= this.alignMargin / 2 && inFilter <= filter / 2) return;
    // The filter is left to re-adapt to the shifted echo: restarting it mid-speech was
    // measured to settle 10 dB worse (22 vs 34 dB on a 120 ms path) than letting it adapt.
    this.aligned = Math.max(0, delay - this.alignMargin);
  }
}

function meanSquare(data: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] / 32768;
    sum += v * v;
  }
  return data.length ? sum / data.length : 0;
}
