/**
 * One error base for the whole framework: a stable `code` to branch on, and `retryable`
 * so resilience code (retry, reconnect, circuit breaker) need not parse messages.
 */
export class RoomKitError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  override readonly cause?: unknown;

  constructor(message: string, opts: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message);
    this.name = new.target.name;
    this.code = opts.code;
    this.retryable = opts.retryable ?? false;
    this.cause = opts.cause;
  }
}

export class ValidationError extends RoomKitError {
  /** The offending field when one is known, as a dotted path (e.g. `content.body`). */
  readonly field?: string;

  constructor(message: string, cause?: unknown, field?: string) {
    super(message, { code: 'validation_error', cause });
    if (field !== undefined) this.field = field;
  }
}

export class NotFoundError extends RoomKitError {
  constructor(what: 'room' | 'channel' | 'session' | 'participant' | 'binding' | (string & {}), id: string) {
    super(`${what} not found: ${id}`, { code: `${what}_not_found` });
  }
}

export class DuplicateError extends RoomKitError {
  constructor(what: string, id: string) {
    super(`${what} already exists: ${id}`, { code: `duplicate_${what}` });
  }
}

export class RoomClosedError extends RoomKitError {
  constructor(roomId: string) {
    super(`room is closed: ${roomId}`, { code: 'room_closed' });
  }
}

export class TimeoutError extends RoomKitError {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`, { code: 'timeout', retryable: true });
  }
}

export class CircuitOpenError extends RoomKitError {
  constructor(name: string) {
    super(`circuit breaker open: ${name}`, { code: 'circuit_open', retryable: true });
  }
}

/** A vendor said no, or the connection to it failed. Always names the provider. */
export class ProviderError extends RoomKitError {
  readonly provider: string;
  readonly status?: number;

  constructor(
    provider: string,
    message: string,
    opts: { code?: string; status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, {
      code: opts.code ?? 'provider_error',
      retryable: opts.retryable ?? (opts.status === undefined || opts.status === 429 || opts.status >= 500),
      cause: opts.cause,
    });
    this.provider = provider;
    this.status = opts.status;
  }
}

export class AuthenticationError extends ProviderError {
  constructor(provider: string, message = 'authentication failed (check the API key)', status?: number) {
    super(provider, message, { code: 'authentication_failed', status, retryable: false });
  }
}

export class RateLimitError extends ProviderError {
  readonly retryAfterMs?: number;
  constructor(provider: string, message = 'rate limited', retryAfterMs?: number) {
    super(provider, message, { code: 'rate_limited', status: 429, retryable: true });
    this.retryAfterMs = retryAfterMs;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof RoomKitError ? err.retryable : true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
