import type { Channel, ChannelOutput, DeliveryContext } from '../channels/channel.js';
import { ChannelCategory, type ChannelBinding, HookTrigger, type RoomEvent } from '../models/index.js';
import { errorMessage, isRetryable } from './errors.js';
import type { KitInternals } from './kit-internals.js';
import { backoffDelay, DEFAULT_RETRY } from './resilience/retry.js';
import type { RoomState } from './room-state.js';
import { transcodeFor } from './transcode.js';
import { canSee } from './visibility.js';

/**
 * Fans committed events out to the room's readers. Each target has its own queue, so a
 * slow channel delays only itself and every channel sees events in index order. Called
 * under the room lock (enqueueing is synchronous); the returned promise settles when every
 * target has finished with the event.
 */
export class Broadcaster {
  constructor(private readonly kit: KitInternals) {}

  broadcast(state: RoomState, event: RoomEvent): Promise<void> {
    const readers = state.readers(this.kit.lookupChannel);
    let remaining = 0;
    let resolveAll!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const finishOne = () => {
      if (--remaining === 0) resolveAll();
    };
    for (const reader of readers) {
      const { binding, channel } = reader;
      if (binding.channelId === event.source.channelId && !channel.capabilities.multiplexed) continue;
      if (!canSee(event, binding)) continue;
      remaining++;
      state.queueFor(binding.channelId).push(async () => {
        try {
          await this.deliverTo(state, event, channel, binding);
        } finally {
          finishOne();
        }
      });
    }
    if (remaining === 0) resolveAll();
    return done.then(() => this.afterBroadcast(state, event));
  }

  private afterBroadcast(state: RoomState, event: RoomEvent): void {
    this.kit.events.emit('event_processed', { event });
    if (this.kit.hooks.has(HookTrigger.AFTER_BROADCAST)) {
      this.kit.track(
        this.kit.hooks.runAsync(HookTrigger.AFTER_BROADCAST, event, {
          kit: this.kit.kit,
          trigger: HookTrigger.AFTER_BROADCAST,
          roomId: state.id,
          room: state.room,
          channelId: event.source.channelId,
          channelType: event.source.channelType,
          direction: 'inbound',
        }),
      );
    }
  }

  private async deliverTo(state: RoomState, event: RoomEvent, channel: Channel, binding: ChannelBinding) {
    const shaped = transcodeFor(event, channel.capabilities);
    if (!shaped) return;
    const ctx: DeliveryContext = { kit: this.kit.kit, room: state.room, signal: this.kit.signal };
    const output = await this.callWithResilience(channel, binding, shaped, ctx);
    if (output && channel.category === ChannelCategory.INTELLIGENCE) {
      this.kit.track(this.kit.handleOutput(state, channel, binding, event, output));
    }
  }

  /** Rate limit (waits), circuit breaker, then the call with retry and backoff. */
  private async callWithResilience(
    channel: Channel,
    binding: ChannelBinding,
    event: RoomEvent,
    ctx: DeliveryContext,
  ): Promise<ChannelOutput | undefined> {
    const limiter = this.kit.limiterFor(channel);
    const breaker = this.kit.breakerFor(channel.id);
    const policy = channel.retryPolicy ?? this.kit.retryPolicy;
    const maxRetries = policy.maxRetries ?? DEFAULT_RETRY.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        if (limiter) await limiter.acquire(ctx.signal);
        return await breaker.call(() =>
          channel.category === ChannelCategory.INTELLIGENCE
            ? channel.onEvent(event, binding, ctx)
            : channel.deliver(event, binding, ctx),
        );
      } catch (error) {
        if (attempt < maxRetries && isRetryable(error) && !ctx.signal.aborted) {
          await sleep(backoffDelay(policy, attempt));
          continue;
        }
        this.reportFailure(event, channel, error, attempt + 1);
        return undefined;
      }
    }
  }

  private reportFailure(event: RoomEvent, channel: Channel, error: unknown, attempts: number): void {
    this.kit.logger.warn(
      { roomId: event.roomId, eventId: event.id, channelId: channel.id, attempts, err: errorMessage(error) },
      'delivery failed',
    );
    this.kit.events.emit('delivery_failed', { event, channelId: channel.id, error, attempts });
    if (this.kit.hooks.has(HookTrigger.ON_DELIVERY_FAILED)) {
      this.kit.track(
        this.kit.hooks.runAsync(HookTrigger.ON_DELIVERY_FAILED, event, {
          kit: this.kit.kit,
          trigger: HookTrigger.ON_DELIVERY_FAILED,
          roomId: event.roomId,
          channelId: channel.id,
          channelType: channel.channelType,
          direction: 'outbound',
          error,
        }),
      );
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
