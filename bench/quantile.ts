/**
 * The q-quantile by nearest rank: the smallest value with at least q of the values at or
 * below it. With 20 samples the p95 is the 19th, not the largest (the largest is p100).
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
