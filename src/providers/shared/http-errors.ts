/**
 * Turns a failed vendor HTTP exchange into the framework's typed errors, so resilience code
 * can branch on `retryable` and `code` instead of parsing vendor prose.
 */
import { AuthenticationError, ProviderError, RateLimitError, type RoomKitError } from '../../core/errors.js';

/**
 * A vendor-specific rule that runs before the generic status mapping, for vendors whose
 * status codes say less than their bodies (Gemini answers a bad key with 400).
 */
export type ErrorClassifier = (status: number, body: unknown, message: string) => RoomKitError | undefined;

/** The human message inside a vendor error body: `{ error: { message } }` covers all three. */
export function extractErrorMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined;
  if (!isRecord(body)) return undefined;
  const error = body.error;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  if (typeof error === 'string') return error;
  if (typeof body.message === 'string') return body.message;
  return undefined;
}

/** `retry-after-ms` (OpenAI) wins over `retry-after`, which is seconds or an HTTP date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface HttpFailure {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body was JSON, else the raw text. */
  body: unknown;
}

export function errorFromResponse(
  provider: string,
  failure: HttpFailure,
  classify?: ErrorClassifier,
): RoomKitError {
  const { status, headers, body } = failure;
  const message = extractErrorMessage(body) ?? `HTTP ${status}`;
  const special = classify?.(status, body, message);
  if (special) return special;
  if (status === 401 || status === 403) return new AuthenticationError(provider, message, status);
  if (status === 429) return new RateLimitError(provider, message, parseRetryAfter(headers));
  if (status >= 500) return new ProviderError(provider, message, { status, retryable: true, cause: body });
  // 408 (timeout) and 409 (conflict/lock) are transient even though they are 4xx.
  const retryable = status === 408 || status === 409;
  return new ProviderError(provider, message, { status, retryable, cause: body });
}

/** fetch rejected or a body read failed without an abort: the network, so worth a retry. */
export function networkError(provider: string, cause: unknown): ProviderError {
  const detail = cause instanceof Error ? describeCause(cause) : String(cause);
  return new ProviderError(provider, `network error: ${detail}`, {
    code: 'network_error',
    retryable: true,
    cause,
  });
}

/** The stream closed before the vendor's end marker: the answer is incomplete. */
export function incompleteStreamError(provider: string): ProviderError {
  return new ProviderError(provider, 'stream ended before the response was complete', {
    code: 'incomplete_stream',
    retryable: true,
  });
}

function describeCause(err: Error): string {
  // undici says only "fetch failed"; the useful part (ECONNREFUSED...) is in `cause`.
  const inner = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${inner}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
