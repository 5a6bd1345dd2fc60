/**
 * Which session count a voice sweep runs next: up the list until a count fails, then once
 * halfway between the last pass and that failure (rounded to 50 sessions). Kept apart from the
 * runs themselves so that several servers' sweeps can take turns count by count.
 */
export class SweepPlan {
  /** The most sessions that passed. */
  max = 0;
  /** The first count that failed, if any did. */
  failedAt: number | undefined;
  private index = 0;
  private narrowing: number | undefined;
  private done = false;

  constructor(private readonly counts: readonly number[]) {}

  /** The count to run next, or undefined once the limit is found (or the list ran out). */
  next(): number | undefined {
    if (this.done) return undefined;
    if (this.narrowing !== undefined) return this.narrowing;
    return this.counts[this.index];
  }

  /** What the count `next()` gave did. */
  record(n: number, passed: boolean): void {
    if (n !== this.next()) throw new Error(`sweep plan: ran ${n}, expected ${this.next()}`);
    if (this.narrowing !== undefined) {
      if (passed) this.max = n;
      else this.failedAt = n;
      this.done = true;
      return;
    }
    if (passed) {
      this.max = n;
      this.index++;
      if (this.index >= this.counts.length) this.done = true;
      return;
    }
    this.failedAt = n;
    const mid = Math.round((this.max + n) / 2 / 50) * 50;
    if (mid > this.max && mid < n) this.narrowing = mid;
    else this.done = true;
  }
}
