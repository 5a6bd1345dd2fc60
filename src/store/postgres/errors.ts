import { RoomKitError, ValidationError } from '../../core/errors.js';

/**
 * The database cannot be reached (down, restarting, refusing connections, or too slow to
 * answer within the deadline). Retryable: the pool reconnects by itself once it is back.
 */
export class StoreUnavailableError extends RoomKitError {
  constructor(message: string, cause?: unknown) {
    super(`store unavailable: ${message}`, { code: 'store_unavailable', retryable: true, cause });
  }
}

/** The database answered with an error we did not expect (a bug, or a schema changed by hand). */
export class StoreError extends RoomKitError {
  constructor(message: string, cause?: unknown) {
    super(`store error: ${message}`, { code: 'store_error', cause });
  }
}

interface PgErrorLike {
  code?: string;
  constraint?: string;
  message?: string;
}

/** SQLSTATE classes that mean "the server is not there for us right now". */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '55P03', '57014']);
/** Node socket errors that mean the same. */
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout expired|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|the pool is closed|Cannot use a pool after calling end/i;

/** Whether an error from `pg` means the database is unreachable (rather than that we asked wrong). */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const e = error as PgErrorLike;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string') {
    if (UNAVAILABLE_ERRNO.has(e.code) || UNAVAILABLE_STATES.has(e.code) || e.code.startsWith('08'))
      return true;
  }
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

/**
 * A `pg` error as one of ours: unreachable -> StoreUnavailableError; a broken constraint or a value
 * PostgreSQL cannot hold -> ValidationError (like the other stores); anything else -> StoreError.
 * Messages never include parameter values (they may hold message content).
 */
export function storeErrorFrom(error: unknown, what: string): RoomKitError {
  if (error instanceof RoomKitError) return error;
  const e = error as PgErrorLike;
  if (isUnavailable(error))
    return new StoreUnavailableError(`${what}: ${e?.message ?? String(error)}`, error);
  switch (e?.code) {
    case '23505':
      return new ValidationError(`${what}: duplicate (${e.constraint ?? 'unique constraint'})`, error);
    case '23503':
      return new ValidationError(`${what}: room not found`, error);
    case '22P02':
    case '22P05':
    case '22021':
    case '22003':
    case '54000':
      return new ValidationError(`${what}: value cannot be stored (${e.message})`, error);
  }
  return new StoreError(`${what}: ${e?.message ?? String(error)}`, error);
}
