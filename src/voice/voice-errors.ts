import { errorMessage, RoomKitError } from '../core/errors.js';
import { nowIso } from '../core/ids.js';
import { HookTrigger } from '../models/index.js';
import { fireSessionHook, type SessionHookSource } from './session-hooks.js';
import type { VoiceSession } from './types.js';
import type { VoiceErrorEvent } from './voice-hooks.js';

/**
 * How the voice and realtime channels report a session error: a log line (message only, never
 * the error object, which may carry request details), the `channel_error` framework event, and
 * the ON_ERROR hook. The session itself goes on.
 */
export function reportSessionError(
  src: SessionHookSource,
  session: VoiceSession,
  stage: string,
  error: unknown,
  logMessage: string,
): void {
  const message = errorMessage(error);
  const kit = src.kit;
  kit?.logger.warn({ channelId: src.channelId, sessionId: session.id, stage, err: message }, logMessage);
  kit?.events.emit('channel_error', { channelId: src.channelId, error, roomId: session.roomId });
  const event: VoiceErrorEvent = {
    session,
    channelId: src.channelId,
    stage,
    error,
    message,
    ...(error instanceof RoomKitError ? { code: error.code } : {}),
    timestamp: nowIso(),
  };
  fireSessionHook(src, HookTrigger.ON_ERROR, event, session);
}
