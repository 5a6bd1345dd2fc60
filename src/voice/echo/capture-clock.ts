/**
 * Places microphone frames on the session's sample timeline. Frames are laid end to end
 * (their arrival jitters, their samples do not), anchored to the clock at the first frame
 * and re-anchored when the stream drifts: if over a second every frame arrived later than
 * its slot, samples were lost on the way and the slots move forward; if over a second some
 * frame arrived before its slot, the slots are ahead of the clock and move back to the
 * earliest arrival; a frame arriving well before its slot (a sender faster than real time)
 * re-anchors at once.
 *
 * Slots ahead of the clock are no small matter: the echo reference for a slot is stored
 * when it plays, so a microphone frame placed ahead of the clock reads a reference not
 * written yet (silence). Found on carrier calls: the first caller frames came late, in a
 * burst (session set-up), the clock anchored on them and every later frame sat 7-27 ms
 * ahead for the whole call; the delay estimator saw no reference and never estimated, the
 * canceller cancelled nothing, and the caller could no longer barge in.
 */
export class CaptureClock {
  private next: number | undefined;
  private minLate = Number.POSITIVE_INFINITY;
  private windowSamples = 0;
  private readonly tolerance: number;
  private readonly early: number;
  /** Arrival times are rounded to a sample: earliness within a millisecond is noise. */
  private readonly rounding: number;

  constructor(
    private readonly sampleRate: number,
    toleranceMs = 40,
    earlyMs = 200,
  ) {
    this.tolerance = (sampleRate * toleranceMs) / 1000;
    this.early = (sampleRate * earlyMs) / 1000;
    this.rounding = Math.max(1, sampleRate / 1000);
  }

  /** Position of the first sample of an `n`-sample frame that has just arrived at `nowMs`. */
  place(n: number, nowMs: number): number {
    const start = Math.round((nowMs * this.sampleRate) / 1000) - n;
    let at = this.next ?? start;
    if (start - at < -this.early) this.restart((at = start));
    this.minLate = Math.min(this.minLate, start - at);
    this.windowSamples += n;
    if (this.windowSamples >= this.sampleRate) {
      // Late by more than jitter explains: samples lost. Early at all (beyond rounding): a
      // frame cannot arrive before it was captured, so the slots are ahead.
      if (this.minLate > this.tolerance || this.minLate < -this.rounding) at += this.minLate;
      this.minLate = Number.POSITIVE_INFINITY;
      this.windowSamples = 0;
    }
    this.next = at + n;
    return at;
  }

  reset(): void {
    this.next = undefined;
    this.minLate = Number.POSITIVE_INFINITY;
    this.windowSamples = 0;
  }

  private restart(start: number): void {
    this.next = start;
    this.minLate = Number.POSITIVE_INFINITY;
    this.windowSamples = 0;
  }
}
