/**
 * Which session count a voice sweep runs next: up the list until a count fails, then once
 * halfway between the last pass and that failure (rounded to 50 sessions). When the very first
 * count fails, halfway to nothing says little (a sweep from 600 that failed it read "300"), so
 * it steps down instead, by the list's first gap (50 for a list of one), until a count passes,
 * at most `MAX_STEPS_DOWN` times. Kept apart from the runs themselves so that several servers'
 * sweeps can take turns count by count.
 */
const MAX_STEPS_DOWN = 4;

export class SweepPlan {
  /** The most sessions that passed. */
  max = 0;
  /** The lowest count that failed above `max`, if any did. */
  failedAt: number | undefined;
  private index = 0;
  /** The count being tried halfway, or below a first count that failed. */
  private trying: number | undefined;
  private stepsDown = 0;
  private done = false;

  constructor(private readonly counts: readonly number[]) {}

  /** The count to run next, or undefined once the limit is found (or the list ran out). */
  next(): number | undefined {
    if (this.done) return undefined;
    return this.trying ?? this.counts[this.index];
  }

  /** What the count `next()` gave did. */
  record(n: number, passed: boolean): void {
    if (n !== this.next()) throw new Error(`sweep plan: ran ${n}, expected ${this.next()}`);
    if (passed) {
      this.max = n;
      if (this.trying !== undefined || ++this.index >= this.counts.length) this.done = true;
      return;
    }
    this.failedAt = n;
    // Below a first count that failed (or the first count itself): one step lower.
    if (this.index === 0) {
      const step = this.counts.length > 1 ? this.counts[1]! - this.counts[0]! : 50;
      if (step > 0 && n - step > 0 && this.stepsDown < MAX_STEPS_DOWN) {
        this.stepsDown++;
        this.trying = n - step;
      } else this.done = true;
      return;
    }
    // A failure after passes: once halfway, then done.
    const mid = Math.round((this.max + n) / 2 / 50) * 50;
    if (this.trying === undefined && mid > this.max && mid < n) this.trying = mid;
    else this.done = true;
  }
}
