/**
 * The pieces every webhook verifier needs: constant-time comparison, HMAC digests, a
 * timestamp window and a replay guard. Vendors differ in what they sign; they do not differ
 * in how a forged, stale or replayed request must be refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookAuthError } from './webhook-request.js';

/** Constant-time string equality (length is not secret: it is fixed by the algorithm). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmac(
  algorithm: 'sha1' | 'sha256',
  key: string | Buffer,
  data: string | Buffer,
  encoding: 'hex' | 'base64',
): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

export const DEFAULT_WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/** Throws `stale` unless `signedAtMs` is within `toleranceMs` of now (either side: clocks drift). */
export function assertFresh(
  provider: string,
  signedAtMs: number,
  toleranceMs = DEFAULT_WEBHOOK_TOLERANCE_MS,
  now = Date.now(),
): void {
  if (!Number.isFinite(signedAtMs)) throw new WebhookAuthError(provider, 'missing_signature', 'no timestamp');
  if (Math.abs(now - signedAtMs) > toleranceMs) {
    throw new WebhookAuthError(provider, 'stale', `signed ${Math.round((now - signedAtMs) / 1000)} s ago`);
  }
}

export interface ReplayGuardOptions {
  /** Requests signed longer ago than this (or this far in the future) are stale (default 5 min). */
  toleranceMs?: number;
  /**
   * How long a seen request is remembered when the vendor signs no timestamp (Twilio, Meta):
   * a copy arriving within this time is a replay (default 24 h).
   */
  rememberMs?: number;
  /** Memory bound: the oldest keys are forgotten past this many (default 50,000). */
  maxEntries?: number;
  now?: () => number;
}

/** A replay key reserved while its request is processed. */
export interface ReplayClaim {
  /** The request was handled: remember the key so a copy is refused. */
  commit(): void;
  /** The request failed: forget the key so the vendor's retry is accepted. */
  release(): void;
}

/**
 * Refuses stale and repeated webhook requests. A key is reserved while its request runs (so
 * two copies racing in parallel cannot both pass) and remembered only once the request was
 * handled, so a vendor retry after our failure still gets through.
 */
export class ReplayGuard {
  readonly toleranceMs: number;
  private readonly rememberMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** key -> expiry (ms). Insertion order is age order, so eviction takes the oldest. */
  private readonly seen = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(opts: ReplayGuardOptions = {}) {
    this.toleranceMs = opts.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS;
    this.rememberMs = opts.rememberMs ?? 24 * 3_600_000;
    this.maxEntries = opts.maxEntries ?? 50_000;
    this.now = opts.now ?? Date.now;
  }

  /** Throws `stale` unless `signedAtMs` is within the tolerance of now. */
  checkFresh(provider: string, signedAtMs: number): void {
    assertFresh(provider, signedAtMs, this.toleranceMs, this.now());
  }

  /**
   * Reserve `key`; throws `replayed` when it was seen or is being handled. `timestamped`
   * keys only need remembering for the tolerance window: older copies are stale anyway.
   */
  claim(provider: string, key: string, timestamped: boolean): ReplayClaim {
    this.expire();
    if (this.inFlight.has(key) || this.seen.has(key)) throw new WebhookAuthError(provider, 'replayed');
    this.inFlight.add(key);
    let settled = false;
    return {
      commit: () => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(key);
        this.seen.set(key, this.now() + (timestamped ? this.toleranceMs * 2 : this.rememberMs));
        while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
      },
      release: () => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(key);
      },
    };
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [key, expiry] of this.seen) {
      if (expiry > now) break;
      this.seen.delete(key);
    }
  }
}
