import { CircuitOpenError } from '../errors.js';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long it stays open before letting one trial call through (default 30 s). */
  resetTimeoutMs?: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * Stops calling something that keeps failing. Closed -> open after N consecutive failures;
 * after the reset timeout one trial call goes through (half-open): success closes it,
 * failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private _state: CircuitState = 'closed';
  private readonly threshold: number;
  private readonly resetMs: number;

  constructor(
    readonly name: string,
    opts: CircuitBreakerOptions = {},
    private readonly onChange?: (state: CircuitState, name: string) => void,
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.resetMs = opts.resetTimeoutMs ?? 30_000;
  }

  get state(): CircuitState {
    if (this._state === 'open' && performance.now() - this.openedAt >= this.resetMs) this.set('half_open');
    return this._state;
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    const trial = this.admit();
    try {
      const result = await fn();
      this.settle(trial, true);
      return result;
    } catch (err) {
      this.settle(trial, false);
      throw err;
    }
  }

  /**
   * Let one call through, or throw CircuitOpenError. Returns whether it is the half-open trial;
   * pass that to `settle` exactly once when the call ends. (`call` does both; this pair is for
   * callers that manage the call's promise themselves, like the delivery lanes.)
   */
  admit(): boolean {
    const state = this.state;
    if (state === 'open' || (state === 'half_open' && this.trialInFlight))
      throw new CircuitOpenError(this.name);
    const trial = state === 'half_open';
    if (trial) this.trialInFlight = true;
    return trial;
  }

  settle(trial: boolean, ok: boolean): void {
    if (trial) this.trialInFlight = false;
    if (ok) this.recordSuccess();
    else this.recordFailure();
  }

  recordSuccess(): void {
    this.failures = 0;
    if (this._state !== 'closed') this.set('closed');
  }

  recordFailure(): void {
    this.failures++;
    if (this._state === 'half_open' || (this._state === 'closed' && this.failures >= this.threshold)) {
      this.openedAt = performance.now();
      this.set('open');
    }
  }

  private set(state: CircuitState): void {
    this._state = state;
    this.onChange?.(state, this.name);
  }
}
