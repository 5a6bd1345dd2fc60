/**
 * When is the user done? Gradium's semantic VAD predicts, every 80 ms, the probability that
 * the speaker is inactive at several horizons (0.5, 1 and 2 s). A policy picks one horizon,
 * a threshold and how many consecutive steps must exceed it, and only ends a turn once the
 * turn has some text (silence before any words is not a turn).
 */
import { ValidationError } from '../../core/errors.js';

export interface GradiumTurnOptions {
  /** Horizon to watch, in seconds; the step entry closest to it is used (default 2). */
  horizonS?: number;
  /** Inactivity probability that counts as "done" (default 0.5, strictly greater than). */
  threshold?: number;
  /** Consecutive steps above the threshold (default 3). */
  consecutiveSteps?: number;
}

/** Named tunings for the product feels in Gradium's turn-taking guide. */
export const GradiumTurnPresets = {
  /** Answers quickly; may cut off a slow talker. */
  fastAssistant: { horizonS: 0.5, threshold: 0.5, consecutiveSteps: 1 },
  /** The guide's starting rule: longest horizon, 0.5, three steps. */
  balanced: { horizonS: 2, threshold: 0.5, consecutiveSteps: 3 },
  /** Waits for strong evidence on the longest horizon. */
  carefulAssistant: { horizonS: 2, threshold: 0.7, consecutiveSteps: 2 },
  /** Line noise makes single steps unreliable: require several in a row. */
  noisyTelephony: { horizonS: 1, threshold: 0.6, consecutiveSteps: 5 },
  /** People pause to think while dictating: only a long, confident silence ends a turn. */
  dictation: { horizonS: 2, threshold: 0.9, consecutiveSteps: 8 },
} as const satisfies Record<string, Required<GradiumTurnOptions>>;

export type GradiumTurnPreset = keyof typeof GradiumTurnPresets;

/**
 * The turn policy with the seed's `vadThreshold` applied: the same horizon and step count,
 * this threshold. A threshold given twice, or with turn detection off, is a mistake.
 */
export function withVadThreshold(
  turn: GradiumTurnPreset | GradiumTurnOptions | false,
  vadThreshold: number | undefined,
): GradiumTurnPreset | GradiumTurnOptions | false {
  if (vadThreshold === undefined) return turn;
  if (!(vadThreshold > 0 && vadThreshold < 1))
    throw new ValidationError(
      `gradium: vadThreshold must be between 0 and 1, got ${vadThreshold}`,
      undefined,
      'vadThreshold',
    );
  if (turn === false)
    throw new ValidationError(
      'gradium: vadThreshold needs turn detection (turn is false)',
      undefined,
      'vadThreshold',
    );
  if (typeof turn === 'object' && turn.threshold !== undefined)
    throw new ValidationError(
      'gradium: give the threshold once, as vadThreshold or turn.threshold',
      undefined,
      'vadThreshold',
    );
  const base =
    typeof turn === 'string' ? GradiumTurnPresets[turn] : { ...GradiumTurnPresets.balanced, ...turn };
  return { ...base, threshold: vadThreshold };
}

export interface VadHorizon {
  horizonS: number;
  inactivityProb: number;
}

export class GradiumTurnPolicy {
  readonly horizonS: number;
  readonly threshold: number;
  readonly consecutiveSteps: number;
  private run = 0;

  constructor(opts: GradiumTurnOptions | GradiumTurnPreset = 'balanced') {
    const o =
      typeof opts === 'string' ? GradiumTurnPresets[opts] : { ...GradiumTurnPresets.balanced, ...opts };
    this.horizonS = o.horizonS;
    this.threshold = o.threshold;
    this.consecutiveSteps = Math.max(1, Math.floor(o.consecutiveSteps));
  }

  /** The probability this policy reads from a step (undefined when the step has no VAD). */
  probability(vad: readonly VadHorizon[]): number | undefined {
    let best: VadHorizon | undefined;
    for (const v of vad) {
      if (!best || Math.abs(v.horizonS - this.horizonS) < Math.abs(best.horizonS - this.horizonS)) best = v;
    }
    return best?.inactivityProb;
  }

  /** Feeds one step; true when the turn should end now. */
  onStep(vad: readonly VadHorizon[], turnHasText: boolean): boolean {
    const p = this.probability(vad);
    this.run = p !== undefined && p > this.threshold ? this.run + 1 : 0;
    return turnHasText && this.run >= this.consecutiveSteps;
  }

  /** The watched horizon has been above the threshold long enough (with or without text). */
  get quiet(): boolean {
    return this.run >= this.consecutiveSteps;
  }

  reset(): void {
    this.run = 0;
  }
}
