import { ChannelCategory, EventStatus, type RoomEvent } from '../models/index.js';
import type { Broadcaster } from './broadcaster.js';
import type { KitInternals } from './kit-internals.js';
import type { RoomState } from './room-state.js';

/** What a restarted kit does about messages its channels had not finished with. */
export interface RecoveryOptions {
  /**
   * Let intelligence channels answer the messages they missed while the process was down
   * (default true). False: transports still get every event again, AIs answer only new ones.
   */
  answerMissed?: boolean;
  /** With `answerMissed`, leave messages older than this unanswered (default: no limit). */
  maxAnswerAgeMs?: number;
}

export interface RoomRecovery {
  roomId: string;
  /** The store's cursor when the room was loaded: delivery resumed after it. */
  fromIndex: number;
  /** Events delivered again (blocked ones have nothing to deliver and are not counted). */
  events: number;
  /** (event, AI) pairs left alone: already answered before the crash, too old, or answering is off. */
  skippedReplies: number;
}

const PAGE = 500;

/**
 * Re-drive a room whose delivery cursor is behind its timeline: every event after the cursor
 * goes through the delivery lanes again, in index order, flagged `redelivery` (at least once;
 * receivers drop repeats by event id). An intelligence channel is not asked again about a
 * message it already answered: its reply, if committed, is after the message and therefore in
 * the re-driven range too, linked by `responseTo`. So after a crash each message is answered
 * exactly once.
 *
 * Runs while the room's state is being loaded, before anything else can use the room, so the
 * re-driven events are queued ahead of every new one.
 */
export async function redrive(
  kit: KitInternals,
  broadcaster: Broadcaster,
  state: RoomState,
  opts: RecoveryOptions,
): Promise<RoomRecovery | undefined> {
  const fromIndex = state.cursor.index;
  if (fromIndex >= state.nextIndex - 1) return undefined;
  const pending: RoomEvent[] = [];
  for (let after = fromIndex; ; ) {
    const page = await kit.store.listEvents(state.id, { afterIndex: after, limit: PAGE });
    pending.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.index;
  }
  const answered = new Set<string>();
  for (const e of pending)
    if (e.responseTo !== undefined) answered.add(pairKey(e.source.channelId, e.responseTo));

  const answerMissed = opts.answerMissed ?? true;
  const oldest = opts.maxAnswerAgeMs === undefined ? undefined : Date.now() - opts.maxAnswerAgeMs;
  const recovery: RoomRecovery = { roomId: state.id, fromIndex, events: 0, skippedReplies: 0 };
  for (const event of pending) {
    if (event.status === EventStatus.BLOCKED) {
      state.cursor.complete(event.index);
      continue;
    }
    const tooOld = oldest !== undefined && Date.parse(event.createdAt) < oldest;
    recovery.events++;
    const delivery = broadcaster.broadcast(state, event, {
      redelivery: true,
      skip: ({ channel, binding }) => {
        if (channel.category !== ChannelCategory.INTELLIGENCE) return false;
        const skip = !answerMissed || tooOld || answered.has(pairKey(binding.channelId, event.id));
        if (skip) recovery.skippedReplies++;
        return skip;
      },
    });
    kit.track(delivery);
  }
  kit.logger.info({ ...recovery }, 'delivery resumed after restart');
  kit.events.emit('delivery_resumed', recovery);
  return recovery;
}

function pairKey(channelId: string, eventId: string): string {
  return `${channelId}\u0000${eventId}`;
}
