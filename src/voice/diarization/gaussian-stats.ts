/** Running mean and (diagonal) variance of feature vectors: a speaker's voice, or a stretch of speech. */
const VARIANCE_FLOOR = 1e-4;

export class GaussianStats {
  n = 0;
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;

  constructor(readonly dimensions: number) {
    this.sum = new Float64Array(dimensions);
    this.sumSq = new Float64Array(dimensions);
  }

  add(x: ArrayLike<number>, sign = 1): void {
    this.n += sign;
    for (let d = 0; d < this.dimensions; d++) {
      this.sum[d] += sign * x[d];
      this.sumSq[d] += sign * x[d] * x[d];
    }
  }

  remove(x: ArrayLike<number>): void {
    this.add(x, -1);
  }

  clear(): void {
    this.n = 0;
    this.sum.fill(0);
    this.sumSq.fill(0);
  }

  mean(d: number): number {
    return this.n > 0 ? this.sum[d] / this.n : 0;
  }

  /** Squared deviations from this set's own mean, summed (for a pooled variance). */
  scatter(d: number): number {
    return this.n > 0 ? Math.max(0, this.sumSq[d] - (this.sum[d] * this.sum[d]) / this.n) : 0;
  }
}

export { VARIANCE_FLOOR };
