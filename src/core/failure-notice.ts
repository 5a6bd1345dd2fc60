import type { Channel } from '../channels/channel.js';
import { ProviderError, RoomKitError } from './errors.js';
import type { KitInternals } from './kit-internals.js';
import { redactSecrets } from './redact.js';

/** What room clients are told when an intelligence channel could not answer. */
export interface FailureNotice {
  level: 'error';
  /** The error's stable code: `authentication_failed`, `rate_limited`, `timeout`, `provider_error`... */
  code: string;
  /** A short human message, credentials removed. */
  message: string;
  /** The vendor (`anthropic`, `openai`...) or, for channels without one, the channel type. */
  provider: string;
  /** Whether trying again later may work. */
  retryable: boolean;
}

/**
 * Make a failed model call visible: an ephemeral `notice` event to the room's clients (every
 * WebSocket client of the room receives it), the `provider_error` framework event, and one log
 * line. Without it a user with a bad API key sees their message and then nothing at all.
 */
export function reportIntelligenceFailure(
  kit: KitInternals,
  roomId: string,
  channel: Channel,
  error: unknown,
): FailureNotice {
  const notice = describeFailure(channel, error);
  kit.logger.warn(
    { roomId, channelId: channel.id, provider: notice.provider, code: notice.code, err: notice.message },
    'AI provider call failed',
  );
  kit.events.emit('provider_error', { roomId, channelId: channel.id, ...notice, error });
  kit.kit.ephemeral.publish({ type: 'notice', roomId, channelId: channel.id, data: { ...notice } });
  return notice;
}

export function describeFailure(channel: Channel, error: unknown): FailureNotice {
  const provider =
    error instanceof ProviderError
      ? error.provider
      : (((channel as { provider?: { name?: unknown } }).provider?.name as string | undefined) ??
        channel.channelType);
  const raw = error instanceof Error ? error.message : String(error);
  return {
    level: 'error',
    code: error instanceof RoomKitError ? error.code : 'internal_error',
    message: redactSecrets(raw, 300),
    provider: String(provider),
    retryable: error instanceof RoomKitError ? error.retryable : true,
  };
}
