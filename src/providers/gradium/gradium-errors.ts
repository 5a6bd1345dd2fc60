import { AuthenticationError, ProviderError } from '../../core/errors.js';

export const GRADIUM = 'gradium';

const AUTH = /api[ -_]?key|unauthori[sz]ed|forbidden|token|revoked|expired|authenticat/i;
const SESSION_LIMIT = /limit|duration|too long|timed? ?out/i;

/**
 * Turns a Gradium `error` message (code mirrors WebSocket close codes) into a typed error.
 * Key problems are AuthenticationError; the session cap and 1011 are retryable (a new
 * session fixes them); other 1008s are configuration mistakes that retrying cannot fix.
 */
export function gradiumServerError(code: number | undefined, message: string): ProviderError {
  if (AUTH.test(message)) return new AuthenticationError(GRADIUM, message);
  if (SESSION_LIMIT.test(message)) {
    return new ProviderError(GRADIUM, message, { code: 'session_limit', retryable: true });
  }
  if (code === 1008)
    return new ProviderError(GRADIUM, message, { code: 'policy_violation', retryable: false });
  return new ProviderError(GRADIUM, message, {
    code: code ? `server_error_${code}` : 'server_error',
    retryable: true,
  });
}

/** A socket that closed without an `error` message first. */
export function gradiumCloseError(code: number, reason: string): ProviderError {
  if (reason) return gradiumServerError(code, reason);
  return new ProviderError(GRADIUM, `connection closed (${code})`, {
    code: 'connection_closed',
    retryable: true,
  });
}
