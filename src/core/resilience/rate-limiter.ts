import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimit {
  /** Sustained deliveries per second. */
  maxPerSecond: number;
  /** Deliveries allowed back to back before pacing starts (default 1). */
  burst?: number;
}

/**
 * Token bucket that waits instead of dropping: a delivery over the rate is delayed until
 * a token is free. Waiters are served in arrival order.
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private tail: Promise<void> = Promise.resolve();
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(limit: RateLimit) {
    this.capacity = Math.max(1, limit.burst ?? 1);
    this.tokens = this.capacity;
    this.perMs = limit.maxPerSecond / 1000;
  }

  /** Resolves when the caller may proceed. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.take(signal));
    this.tail = turn.catch(() => {});
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const waitMs = (1 - this.tokens) / this.perMs;
      await sleep(Math.ceil(waitMs), undefined, { signal });
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
}
