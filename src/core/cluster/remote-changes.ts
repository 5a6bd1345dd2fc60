import type { Channel } from '../../channels/channel.js';
import type { ChannelBinding, Room, RoomEvent } from '../../models/index.js';
import type { RoomState } from '../room-state.js';
import { canSee } from '../visibility.js';
import type { StreamDelta } from './cluster-messages.js';
import { isPerProcess } from './per-process.js';

/**
 * What another process changed, applied to this process's cached state of a room. The store is
 * the truth; the cache keeps only what this process knows to be newer (its count of events).
 */

/** The room record from the store, in place (the pipeline holds the object). */
export function applyRoomRecord(state: RoomState, fresh: Room): void {
  const room = state.room;
  const known = { eventCount: room.eventCount, lastActivityAt: room.lastActivityAt };
  for (const key of Object.keys(room) as (keyof Room)[]) if (!(key in fresh)) delete room[key];
  Object.assign(room, fresh);
  if (fresh.eventCount < state.nextIndex) Object.assign(room, known, { eventCount: state.nextIndex });
}

/** The room's bindings as the store has them: detached ones go, changed ones are replaced. */
export function replaceBindings(state: RoomState, bindings: readonly ChannelBinding[]): void {
  const kept = new Set(bindings.map((b) => b.channelId));
  for (const id of [...state.bindings.keys()]) if (!kept.has(id)) state.deleteBinding(id);
  for (const binding of bindings) state.setBinding(binding);
}

/**
 * The channels of this process that show a streamed reply produced elsewhere: the same rule as the
 * owner's own viewers (streaming, allowed to see the replying binding), among per-process channels.
 */
export function streamViewers(
  state: RoomState,
  delta: StreamDelta,
  perProcess: ReadonlySet<string>,
  lookup: (id: string) => Channel | undefined,
): Channel[] {
  const source = state.bindings.get(delta.sourceChannelId);
  const shown = { visibility: source?.visibility ?? 'all' } as RoomEvent;
  const viewers: Channel[] = [];
  for (const { binding, channel } of state.readers(lookup)) {
    if (!channel.capabilities.streaming || !isPerProcess(channel, perProcess)) continue;
    if (binding.channelId === delta.sourceChannelId && !channel.capabilities.multiplexed) continue;
    if (canSee(shown, binding)) viewers.push(channel);
  }
  return viewers;
}
