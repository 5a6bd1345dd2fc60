import { describe, expect, it } from 'vitest';
import { SweepPlan } from '../../bench/sweep-plan.js';

/**
 * A plan over `counts` run against a server that passes every count up to `limit`: the
 * counts it ran, and what it found.
 */
function sweepTo(counts: number[], limit: number) {
  const plan = new SweepPlan(counts);
  const ran: number[] = [];
  for (let n = plan.next(); n !== undefined; n = plan.next()) {
    ran.push(n);
    plan.record(n, n <= limit);
  }
  return { ran, max: plan.max, failedAt: plan.failedAt };
}

describe('voice sweep plan', () => {
  it('goes up the counts until one fails, then once halfway to the last pass', () => {
    expect(sweepTo([500, 700, 900], 650)).toEqual({ ran: [500, 700, 600], max: 600, failedAt: 700 });
  });

  it('keeps the narrowing count as the failure when it fails too', () => {
    expect(sweepTo([500, 700], 550)).toEqual({ ran: [500, 700, 600], max: 500, failedAt: 600 });
  });

  it('does not narrow a gap under 50 sessions, and stops when the counts run out', () => {
    expect(sweepTo([500, 550, 600], 520)).toEqual({ ran: [500, 550], max: 500, failedAt: 550 });
    expect(sweepTo([100, 200], 10_000)).toEqual({ ran: [100, 200], max: 200, failedAt: undefined });
  });

  it('a first count that fails leaves the most at 0', () => {
    expect(sweepTo([8], 0)).toEqual({ ran: [8], max: 0, failedAt: 8 });
  });

  it("steps down by the list's first gap when the first count fails, until one passes", () => {
    expect(sweepTo([600, 650, 700], 520)).toEqual({ ran: [600, 550, 500], max: 500, failedAt: 550 });
  });

  it('steps down at most four times, and never to nothing', () => {
    expect(sweepTo([600, 650], 0)).toEqual({ ran: [600, 550, 500, 450, 400], max: 0, failedAt: 400 });
    expect(sweepTo([100, 200], 0)).toMatchObject({ ran: [100], failedAt: 100 });
  });

  it('refuses a result for a count it did not give', () => {
    const plan = new SweepPlan([500, 600]);
    expect(() => plan.record(600, true)).toThrow(/ran 600, expected 500/);
  });
});
