import { AuthenticationError, ProviderError, type RoomKitError } from '../../core/errors.js';
import type { RealtimeEndReason } from '../../realtime/session.js';
import type { SocketCloseInfo } from './realtime-socket.js';

export interface CloseOutcome {
  reason: RealtimeEndReason;
  error?: RoomKitError;
}

/**
 * What a server-side close means for the session. Vendors signal auth failures and limits
 * through close codes and reason strings; `classify` lets a provider claim its own codes
 * first, the rest follows the WebSocket meanings.
 */
export function closeOutcome(
  provider: string,
  info: SocketCloseInfo,
  classify?: (info: SocketCloseInfo) => CloseOutcome | undefined,
): CloseOutcome {
  const own = classify?.(info);
  if (own) return own;
  if (info.code === 1000) return { reason: 'server-closed' };
  if (info.code === 1006 || info.code === 1005) {
    return { reason: 'connection-lost', error: connectionLostError(provider, info.code) };
  }
  if (/api[ _-]?key|unauthori[sz]ed|authenticat|invalid signature/i.test(info.reason)) {
    return { reason: 'auth-failed', error: new AuthenticationError(provider, `closed: ${info.reason}`) };
  }
  return {
    reason: 'provider-error',
    error: new ProviderError(
      provider,
      `closed by server (${info.code}${info.reason ? `: ${info.reason}` : ''})`,
      {
        code: 'closed_by_server',
        retryable: info.code === 1001 || info.code === 1011 || info.code === 1013,
      },
    ),
  };
}

/** The error a dropped socket (no close frame, code 1006) is reported as. */
export function connectionLostError(provider: string, code: number): ProviderError {
  return new ProviderError(provider, `connection lost (close code ${code})`, {
    code: 'connection_lost',
    retryable: true,
  });
}
