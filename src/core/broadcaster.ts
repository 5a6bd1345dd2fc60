import type { Context } from '@opentelemetry/api';
import { HookTrigger, type RoomEvent } from '../models/index.js';
import { errorMessage } from './errors.js';
import { Fanout, type FanoutHost } from './fanout.js';
import type { KitInternals } from './kit-internals.js';
import { LaneDelivery } from './lane-delivery.js';
import type { Reader, RoomState } from './room-state.js';
import type { HookRun } from './telemetry/event-traces.js';
import { canSee } from './visibility.js';

export interface BroadcastOptions {
  /** The event was delivered before a restart: tell channels (ctx.redelivery) so they may drop repeats. */
  redelivery?: boolean;
  /** Leave a reader out (re-drive: an AI that already answered, or a message too old to answer). */
  skip?: (reader: Reader) => boolean;
  /** The event's trace context: each delivery becomes a `roomkit.deliver` span under it. */
  trace?: Context;
}

/**
 * Fans committed events out to the room's readers. Each target has its own queue, so a
 * slow channel delays only itself and every channel sees events in index order. Called
 * under the room lock (enqueueing is synchronous); the returned promise settles when every
 * target has finished with the event. Every call to a channel runs under a deadline, and
 * nothing a channel does (throw, hang, return garbage) can escape a lane job (lane-delivery.ts).
 */
export class Broadcaster implements FanoutHost {
  /** Lane work runs outside any lock owner's async context. */
  private readonly detach: (fn: () => void) => void;

  constructor(private readonly kit: KitInternals) {
    const { locks } = kit;
    this.detach = locks.detached ? (fn) => locks.detached!(fn) : (fn) => fn();
  }

  broadcast(state: RoomState, event: RoomEvent, opts: BroadcastOptions = {}): Promise<void> {
    const fanout = new Fanout(this, state, event, state.cursor);
    const { cluster } = this.kit;
    const redelivery = opts.redelivery === true;
    for (const reader of state.readers(this.kit.lookupChannel)) {
      const { binding, channel } = reader;
      if (binding.channelId === event.source.channelId && !channel.capabilities.multiplexed) continue;
      if (!canSee(event, binding)) continue;
      if (opts.skip?.(reader)) continue;
      // In a cluster, this process delivers to its own endpoints, and to the rest if it owns the room.
      if (cluster && !cluster.delivers(state, reader, redelivery)) continue;
      fanout.add();
      state
        .queueFor(binding.channelId)
        .push(
          new LaneDelivery(
            this.kit,
            this.detach,
            state,
            event,
            channel,
            binding,
            fanout,
            redelivery,
            opts.trace,
          ),
        );
    }
    fanout.sealed();
    return fanout.delivered;
  }

  /** @internal Every lane is done with the event: `event_processed` and AFTER_BROADCAST hooks. */
  afterBroadcast(state: RoomState, event: RoomEvent): void {
    this.kit.events.emit('event_processed', { event });
    if (this.kit.hooks.has(HookTrigger.AFTER_BROADCAST)) {
      const traces = this.kit.eventTraces;
      const runs: HookRun[] | undefined = traces ? [] : undefined;
      const after = this.kit.hooks.runAsync(
        HookTrigger.AFTER_BROADCAST,
        event,
        {
          kit: this.kit.kit,
          trigger: HookTrigger.AFTER_BROADCAST,
          roomId: state.id,
          room: state.room,
          channelId: event.source.channelId,
          channelType: event.source.channelType,
          direction: 'inbound',
        },
        runs,
      );
      this.kit.track(runs ? after.then(() => traces?.afterHooks(event, runs)) : after);
    }
  }

  /** @internal */
  fanoutFailed(error: unknown): void {
    this.kit.logger.error({ err: errorMessage(error) }, 'after-broadcast step failed');
  }
}
