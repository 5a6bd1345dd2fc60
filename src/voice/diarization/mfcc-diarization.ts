import { ValidationError } from '../../core/errors.js';
import type { DiarizationProvider, DiarizationStage, StageContext } from '../pipeline/stages.js';
import type { AudioFrame, DiarizationResult } from '../types.js';
import { FeatureRing } from './feature-ring.js';
import { GaussianStats, VARIANCE_FLOOR } from './gaussian-stats.js';
import { MfccExtractor } from './mfcc.js';

export interface MfccDiarizationOptions {
  /** Voiced speech judged at each check: the newest this-many ms of it. Default 200. */
  windowMs?: number;
  /** Time between checks, in voiced speech. Default 30 ms. */
  checkEveryMs?: number;
  /** Consecutive checks that must agree before a change is reported. Default 2. */
  confirmChecks?: number;
  /**
   * How far (mean squared distance in within-speaker standard deviations, per feature) the
   * window must be from every known voice to be a new speaker. Lower finds new voices sooner
   * and splits one voice more often. Default 1.6.
   */
  newSpeakerDistance?: number;
  /** A known voice takes over when it is this much closer than the current one. Default 0.6. */
  switchRatio?: number;
  /** Voiced speech a voice needs before it is trusted as a reference. Default 1000 ms. */
  minSpeakerMs?: number;
  /** Analysis windows quieter than this (dBFS) are not speech. Default -45. */
  minLevelDb?: number;
  /** Speakers remembered per session; past it a new voice is matched to the closest. Default 8. */
  maxSpeakers?: number;
}

type Resolved = Required<MfccDiarizationOptions>;

const HOP_MS = 10;

/**
 * Speaker change detection that needs no model file. Each voice on a session is a running
 * diagonal Gaussian of its voiced speech's features: 12 MFCCs (the spectral envelope) and
 * the log pitch. Every 30 ms of voiced speech the last 200 ms are compared with every voice
 * heard so far: closer to another known voice than to the current one, that voice has taken
 * over (a returning speaker keeps its id); far from all of them, a new speaker (`speaker_1`,
 * `speaker_2`...). Distances are in within-speaker standard deviations, so loudness and
 * level do not matter. It tells clearly different voices apart (a man and a woman, say)
 * within half a second of the change (median 270 ms on flite voices, see docs/voice.md);
 * similar voices need a speaker-embedding model.
 */
export class MfccDiarizationProvider implements DiarizationProvider {
  readonly name = 'mfcc';
  readonly options: Readonly<Resolved>;

  constructor(options: MfccDiarizationOptions = {}) {
    const o: Resolved = {
      windowMs: options.windowMs ?? 200,
      checkEveryMs: options.checkEveryMs ?? 30,
      confirmChecks: options.confirmChecks ?? 2,
      newSpeakerDistance: options.newSpeakerDistance ?? 1.6,
      switchRatio: options.switchRatio ?? 0.6,
      minSpeakerMs: options.minSpeakerMs ?? 1000,
      minLevelDb: options.minLevelDb ?? -45,
      maxSpeakers: options.maxSpeakers ?? 8,
    };
    for (const key of ['windowMs', 'checkEveryMs', 'newSpeakerDistance', 'minSpeakerMs'] as const) {
      if (!(Number.isFinite(o[key]) && o[key] > 0)) {
        throw new ValidationError(
          `diarization ${key} must be a positive number, got ${o[key]}`,
          undefined,
          key,
        );
      }
    }
    if (!(o.switchRatio > 0 && o.switchRatio <= 1)) {
      throw new ValidationError(
        `diarization switchRatio must be in (0, 1], got ${o.switchRatio}`,
        undefined,
        'switchRatio',
      );
    }
    for (const key of ['confirmChecks', 'maxSpeakers'] as const) {
      if (!(Number.isInteger(o[key]) && o[key] >= 1)) {
        throw new ValidationError(
          `diarization ${key} must be an integer >= 1, got ${o[key]}`,
          undefined,
          key,
        );
      }
    }
    this.options = o;
  }

  createStage(ctx: StageContext): DiarizationStage {
    return new MfccDiarizationStage(ctx.sampleRate, this.options);
  }
}

interface Speaker {
  id: string;
  stats: GaussianStats;
}

/** What a check points at: a known voice, a new one, or nothing (the current voice still fits). */
type Candidate = Speaker | 'new' | undefined;

class MfccDiarizationStage implements DiarizationStage {
  private readonly mfcc: MfccExtractor;
  private readonly features: Float64Array;
  private readonly window: FeatureRing;
  private readonly windowStats: GaussianStats;
  /** Speech heard before the first speaker is established. */
  private readonly opening: GaussianStats;
  private readonly speakers: Speaker[] = [];
  private readonly variance: Float64Array;
  private current: Speaker | undefined;
  private candidate: Candidate;
  private hits = 0;
  private sinceCheck = 0;
  private readonly minSpeaker: number;
  private readonly checkEvery: number;
  private result: DiarizationResult | null = null;
  private speech = true;

  constructor(
    sampleRate: number,
    private readonly o: Resolved,
  ) {
    this.mfcc = new MfccExtractor({ sampleRate, hopMs: HOP_MS });
    const dims = this.mfcc.dimensions + 1; // MFCCs and log pitch
    this.features = new Float64Array(dims);
    this.window = new FeatureRing(Math.max(2, Math.round(o.windowMs / HOP_MS)), dims);
    this.windowStats = new GaussianStats(dims);
    this.opening = new GaussianStats(dims);
    this.variance = new Float64Array(dims);
    this.minSpeaker = Math.max(this.window.capacity, Math.round(o.minSpeakerMs / HOP_MS));
    this.checkEvery = Math.max(1, Math.round(o.checkEveryMs / HOP_MS));
  }

  get currentSpeaker(): string | undefined {
    return this.current?.id;
  }

  process(frame: AudioFrame, isSpeech?: boolean): DiarizationResult | null {
    this.result = null;
    this.speech = isSpeech ?? true;
    this.mfcc.push(frame.data, (mfcc, energyDb, pitchHz) => {
      // Voiced speech only: vowels carry who is speaking; silence, noise and hiss do not.
      if (!this.speech || energyDb < this.o.minLevelDb || pitchHz === 0) return;
      this.features.set(mfcc);
      this.features[mfcc.length] = Math.log2(pitchHz);
      this.feed(this.features);
    });
    return this.result;
  }

  reset(): void {
    this.mfcc.reset();
    this.window.clear();
    this.windowStats.clear();
    this.opening.clear();
    this.speakers.length = 0;
    this.current = undefined;
    this.candidate = undefined;
    this.hits = 0;
    this.sinceCheck = 0;
  }

  /** One 10 ms analysis window of speech. */
  private feed(x: Float64Array): void {
    if (this.window.full) {
      // The oldest vector leaves the window: it was the current speaker's after all.
      const settled = this.window.shift();
      this.windowStats.remove(settled);
      (this.current?.stats ?? this.opening).add(settled);
    }
    this.window.push(x);
    this.windowStats.add(x);
    if (!this.current) {
      if (this.opening.n + this.window.size >= this.minSpeaker) this.firstSpeaker();
      return;
    }
    if (++this.sinceCheck < this.checkEvery) return;
    this.sinceCheck = 0;
    if (!this.window.full || this.current.stats.n < this.minSpeaker) return;
    const next = this.judge(this.current);
    if (next === undefined) {
      this.candidate = undefined;
      this.hits = 0;
      return;
    }
    this.hits = next === this.candidate ? this.hits + 1 : 1;
    this.candidate = next;
    if (this.hits >= this.o.confirmChecks) this.switchTo(next);
  }

  /** Who the window sounds like, when it is not the current speaker. */
  private judge(current: Speaker): Candidate {
    this.pooledVariance();
    const here = this.distance(current.stats);
    let best: Speaker | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const s of this.speakers) {
      if (s === current || s.stats.n < this.window.capacity) continue;
      const d = this.distance(s.stats);
      if (d < bestDistance) {
        bestDistance = d;
        best = s;
      }
    }
    if (best && bestDistance < this.o.newSpeakerDistance && bestDistance < this.o.switchRatio * here)
      return best;
    if (here <= this.o.newSpeakerDistance) return undefined;
    if (best && this.speakers.length >= this.o.maxSpeakers) return best;
    // Far from every voice: new, unless a known one is still about as close as this one.
    return best && bestDistance < here ? best : 'new';
  }

  private switchTo(next: Speaker | 'new'): void {
    const isNew = next === 'new';
    const speaker = isNew ? this.newSpeaker() : next;
    const distance = isNew ? 0 : this.distance(speaker.stats);
    // The window's speech is the new speaker's.
    this.window.forEach((x) => {
      speaker.stats.add(x);
    });
    this.window.clear();
    this.windowStats.clear();
    this.current = speaker;
    this.candidate = undefined;
    this.hits = 0;
    // A known voice: how clearly it matched (1 at distance 0, 0.5 at the new-speaker distance).
    const confidence = isNew ? 1 : 1 / (1 + distance / this.o.newSpeakerDistance);
    this.result = { speakerId: speaker.id, confidence, isNewSpeaker: isNew };
  }

  private firstSpeaker(): void {
    const speaker = this.newSpeaker();
    mergeInto(speaker.stats, this.opening);
    this.opening.clear();
    this.current = speaker;
    this.result = { speakerId: speaker.id, confidence: 1, isNewSpeaker: true };
  }

  private newSpeaker(): Speaker {
    const speaker = {
      id: `speaker_${this.speakers.length + 1}`,
      stats: new GaussianStats(this.features.length),
    };
    this.speakers.push(speaker);
    return speaker;
  }

  /** Within-speaker variance per coefficient, pooled over every voice heard. */
  private pooledVariance(): void {
    for (let d = 0; d < this.variance.length; d++) {
      let scatter = 0;
      let dof = 0;
      for (const s of this.speakers) {
        if (s.stats.n < 2) continue;
        scatter += s.stats.scatter(d);
        dof += s.stats.n - 1;
      }
      this.variance[d] = Math.max(VARIANCE_FLOOR, dof > 0 ? scatter / dof : 1);
    }
  }

  /** Mean squared distance of the window's mean from a voice's, in within-speaker deviations. */
  private distance(voice: GaussianStats): number {
    let total = 0;
    for (let d = 0; d < this.variance.length; d++) {
      const diff = this.windowStats.mean(d) - voice.mean(d);
      total += (diff * diff) / this.variance[d];
    }
    return total / this.variance.length;
  }
}

function mergeInto(target: GaussianStats, source: GaussianStats): void {
  target.n += source.n;
  for (let d = 0; d < target.dimensions; d++) {
    target.sum[d] += source.sum[d];
    target.sumSq[d] += source.sumSq[d];
  }
}
