/**
 * Calls in the room's timeline: a `call_started` and a `call_ended` system notice (carrier,
 * call id, who hung up, why, how long), so the console and text channels see that the phone
 * call began and ended, like any other channel event.
 */
import { errorMessage } from '../../../core/errors.js';
import type { RoomKit } from '../../../core/roomkit.js';
import type { MediaStreamBackend } from './media-stream-backend.js';

/** Write call notices into each call's room; returns the unsubscribe function. */
export function writeCallNotices(
  kit: RoomKit,
  backend: Pick<MediaStreamBackend, 'name' | 'onCallEvent'>,
): () => void {
  return backend.onCallEvent((session, event) => {
    if (event.type === 'status') return;
    const meta = session.metadata;
    const data: Record<string, unknown> = {
      carrier: backend.name,
      callId: meta.callId,
      sessionId: session.id,
      participantId: session.participantId,
      ...(event.type === 'started'
        ? { direction: event.direction, from: meta.caller, to: meta.callee }
        : {
            reason: event.reason,
            by: event.by === 'remote' ? 'caller' : 'agent',
            durationMs: event.durationMs,
          }),
    };
    const write = (async () => {
      const state = await kit.loadState(session.roomId);
      if (state)
        await kit.rooms.systemEvent(state, event.type === 'started' ? 'call_started' : 'call_ended', data);
    })().catch((error) =>
      kit.logger.warn({ roomId: session.roomId, err: errorMessage(error) }, 'call notice not written'),
    );
    kit.internals.track(write);
  });
}
