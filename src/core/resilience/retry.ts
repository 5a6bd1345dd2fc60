import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from '../errors.js';

export interface RetryPolicy {
  /** Attempts after the first (default 2). */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Multiplier per attempt (default 2). */
  factor?: number;
  /** Add up to 20% random jitter so retries of many rooms do not align (default true). */
  jitter?: boolean;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxRetries: 2,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  factor: 2,
  jitter: true,
};

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const p = { ...DEFAULT_RETRY, ...policy };
  const raw = Math.min(p.maxDelayMs, p.baseDelayMs * p.factor ** attempt);
  return p.jitter ? raw * (1 + Math.random() * 0.2) : raw;
}

/** Run `fn`, retrying retryable failures with exponential backoff. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = {},
  opts: { signal?: AbortSignal; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<T> {
  const maxRetries = policy.maxRetries ?? DEFAULT_RETRY.maxRetries;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= maxRetries || !isRetryable(err) || opts.signal?.aborted) throw err;
      opts.onRetry?.(err, attempt + 1);
      await sleep(backoffDelay(policy, attempt), undefined, { signal: opts.signal });
    }
  }
}
