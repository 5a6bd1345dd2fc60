/**
 * Places microphone frames on the session's sample timeline. Frames are laid end to end
 * (their arrival jitters, their samples do not), anchored to the clock at the first frame
 * and re-anchored when the stream drifts: if over a second every frame arrived later than
 * its slot, samples were lost on the way and the slots move forward; a frame arriving well
 * before its slot (a sender faster than real time) re-anchors at once.
 */
export class CaptureClock {
  private next: number | undefined;
  private minLate = Number.POSITIVE_INFINITY;
  private windowSamples = 0;
  private readonly tolerance: number;
  private readonly early: number;

  constructor(
    private readonly sampleRate: number,
    toleranceMs = 40,
    earlyMs = 200,
  ) {
    this.tolerance = (sampleRate * toleranceMs) / 1000;
    this.early = (sampleRate * earlyMs) / 1000;
  }

  /** Position of the first sample of an `n`-sample frame that has just arrived at `nowMs`. */
  place(n: number, nowMs: number): number {
    const start = Math.round((nowMs * this.sampleRate) / 1000) - n;
    let at = this.next ?? start;
    if (start - at < -this.early) this.restart((at = start));
    this.minLate = Math.min(this.minLate, start - at);
    this.windowSamples += n;
    if (this.windowSamples >= this.sampleRate) {
      if (this.minLate > this.tolerance) at += this.minLate;
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
