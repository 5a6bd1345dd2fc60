import { describe, expect, it } from 'vitest';
import { SweepPlan } from '../../bench/sweep-plan.js';

/** Runs a plan against a server that passes every count up to `limit`; returns the counts run. */
function runTo(plan: SweepPlan, limit: number): number[] {
  const ran: number[] = [];
  for (let n = plan.next(); n !== undefined; n = plan.next()) {
    ran.push(n);
    plan.record(n, n <= limit);
  }
  return ran;
}

describe('voice sweep plan', () => {
  it('goes up the counts until one fails, then once halfway to the last pass', () => {
    const plan = new SweepPlan([500, 700, 900]);
    expect(runTo(plan, 650)).toEqual([500, 700, 600]);
    expect(plan.max).toBe(600);
    expect(plan.failedAt).toBe(700);
  });

  it('keeps the narrowing count as the failure when it fails too', () => {
    const plan = new SweepPlan([500, 700]);
    expect(runTo(plan, 550)).toEqual([500, 700, 600]);
    expect(plan.max).toBe(500);
    expect(plan.failedAt).toBe(600);
  });

  it('does not narrow a gap under 50 sessions, and stops when the counts run out', () => {
    const near = new SweepPlan([500, 550, 600]);
    expect(runTo(near, 520)).toEqual([500, 550]);
    expect(near.max).toBe(500);
    expect(near.failedAt).toBe(550);
    const all = new SweepPlan([100, 200]);
    expect(runTo(all, 10_000)).toEqual([100, 200]);
    expect(all.max).toBe(200);
    expect(all.failedAt).toBeUndefined();
  });

  it('a first count that fails leaves the most at 0', () => {
    const plan = new SweepPlan([8]);
    expect(runTo(plan, 0)).toEqual([8]);
    expect(plan.max).toBe(0);
    expect(plan.failedAt).toBe(8);
  });

  it("steps down by the list's first gap when the first count fails, until one passes", () => {
    const plan = new SweepPlan([600, 650, 700]);
    expect(runTo(plan, 520)).toEqual([600, 550, 500]);
    expect(plan.max).toBe(500);
    expect(plan.failedAt).toBe(550);
  });

  it('steps down at most four times, and never to nothing', () => {
    const plan = new SweepPlan([600, 650]);
    expect(runTo(plan, 0)).toEqual([600, 550, 500, 450, 400]);
    expect(plan.max).toBe(0);
    expect(plan.failedAt).toBe(400);
    const small = new SweepPlan([100, 200]);
    expect(runTo(small, 0)).toEqual([100]);
    expect(small.failedAt).toBe(100);
  });

  it('refuses a result for a count it did not give', () => {
    const plan = new SweepPlan([500, 600]);
    expect(() => plan.record(600, true)).toThrow(/ran 600, expected 500/);
  });
});
