import type { Context, Span } from '@opentelemetry/api';
import type { Channel, ChannelOutput, DeliveryContext } from '../channels/channel.js';
import {
  ChannelCategory,
  type ChannelBinding,
  HookTrigger,
  type Room,
  type RoomEvent,
} from '../models/index.js';
import type { RoomKit } from './roomkit.js';
import { deadlines } from './deadlines.js';
import { errorMessage, isRetryable, TimeoutError } from './errors.js';
import { reportIntelligenceFailure } from './failure-notice.js';
import type { KitInternals } from './kit-internals.js';
import type { CircuitBreaker } from './resilience/circuit-breaker.js';
import { backoffDelay, DEFAULT_RETRY } from './resilience/retry.js';
import type { Reader, RoomState } from './room-state.js';
import { type HookRun, traceError } from './telemetry/event-traces.js';
import { transcodeFor } from './transcode.js';
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
 * nothing a channel does (throw, hang, return garbage) can escape a lane job.
 */
export class Broadcaster {
  constructor(private readonly kit: KitInternals) {}

  broadcast(state: RoomState, event: RoomEvent, opts: BroadcastOptions = {}): Promise<void> {
    const cursor = state.cursor;
    const fanout = new Fanout(() => cursor.complete(event.index));
    const { cluster } = this.kit;
    for (const reader of state.readers(this.kit.lookupChannel)) {
      const { binding, channel } = reader;
      if (binding.channelId === event.source.channelId && !channel.capabilities.multiplexed) continue;
      if (!canSee(event, binding)) continue;
      if (opts.skip?.(reader)) continue;
      // In a cluster, this process delivers to its own endpoints, and to the rest if it owns the room.
      if (cluster && !cluster.delivers(state, reader, opts.redelivery === true)) continue;
      fanout.add();
      const redelivery = opts.redelivery === true;
      state
        .queueFor(binding.channelId)
        .push(() => this.deliverTo(state, event, channel, binding, fanout, redelivery, opts.trace));
    }
    fanout.sealed();
    return fanout.delivered.then(() => this.afterBroadcast(state, event));
  }

  private afterBroadcast(state: RoomState, event: RoomEvent): void {
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

  /**
   * One lane job: transcode, then rate limit (waits), circuit breaker and the call under its
   * deadline, with retry and backoff. One async function for all of it: it runs per target
   * per event, and every extra async layer is a promise on the text path.
   */
  private async deliverTo(
    state: RoomState,
    event: RoomEvent,
    channel: Channel,
    binding: ChannelBinding,
    fanout: Fanout,
    redelivery: boolean,
    traceContext: Context | undefined,
  ): Promise<void> {
    try {
      let shaped: RoomEvent | undefined;
      const delivery = traceContext && this.kit.telemetry.startDelivery(traceContext, channel);
      const started = this.kit.eventTraces ? performance.now() : 0;
      try {
        shaped = transcodeFor(event, channel.capabilities);
      } catch (error) {
        this.reportFailure(event, channel, error, 1);
        this.finished(event, channel, delivery?.span, started, 1, error);
        return;
      }
      if (!shaped) {
        delivery?.span.end();
        return;
      }
      const limiter = this.kit.limiterFor(channel);
      const breaker = this.kit.breakerFor(channel.id);
      const policy = channel.retryPolicy ?? this.kit.retryPolicy;
      const maxRetries = policy.maxRetries ?? DEFAULT_RETRY.maxRetries;
      const timeoutMs = this.timeoutFor(channel, binding);
      let output: ChannelOutput | undefined;
      let attempts = 0;
      for (let attempt = 0; ; attempt++) {
        attempts = attempt + 1;
        try {
          if (limiter) await limiter.acquire(this.kit.signal);
          output = await this.attempt(
            breaker,
            state.room,
            channel,
            binding,
            shaped,
            timeoutMs,
            redelivery,
            delivery?.context,
          );
          break;
        } catch (error) {
          if (attempt < maxRetries && isRetryable(error) && !this.kit.signal.aborted) {
            await sleep(backoffDelay(policy, attempt));
            continue;
          }
          this.reportFailure(event, channel, error, attempts);
          this.finished(event, channel, delivery?.span, started, attempts, error);
          return;
        }
      }
      this.finished(event, channel, delivery?.span, started, attempts);
      if (output && channel.category === ChannelCategory.INTELLIGENCE) {
        // The reply is produced in the background (see docs/decisions.md), but the event counts
        // as handled only once it is: the delivery cursor must not pass an unanswered message.
        fanout.add(false);
        const handled = this.kit.handleOutput(state, channel, binding, event, output);
        this.kit.track(handled);
        handled.then(fanout.workDone, fanout.workDone);
      }
    } finally {
      fanout.laneDone();
    }
  }

  /**
   * One call to the channel, through the circuit breaker and under its deadline. Written with
   * one promise rather than `breaker.call(() => withDeadline(...))`: this runs for every
   * delivery, and promises are what the text path spends its time on.
   */
  private attempt(
    breaker: CircuitBreaker,
    room: Room,
    channel: Channel,
    binding: ChannelBinding,
    event: RoomEvent,
    timeoutMs: number,
    redelivery: boolean,
    traceContext: Context | undefined,
  ): Promise<ChannelOutput> {
    const trial = breaker.admit();
    const call = new LaneCall(this.kit.kit, room, this.kit.signal, redelivery, traceContext);
    return new Promise<ChannelOutput>((resolve, reject) => {
      let open = true;
      const end = (ok: boolean): boolean => {
        if (!open) return false;
        open = false;
        deadline?.cancel();
        breaker.settle(trial, ok);
        return true;
      };
      const deadline =
        timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY
          ? deadlines.add(
              timeoutMs,
              () => {
                if (end(false)) reject(call.expire(`delivery to ${channel.id}`, timeoutMs));
              },
              this.kit.kit,
            )
          : undefined;
      let work: ChannelOutput | Promise<ChannelOutput>;
      try {
        work =
          channel.category === ChannelCategory.INTELLIGENCE
            ? channel.onEvent(event, binding, call)
            : channel.deliver(event, binding, call);
      } catch (error) {
        end(false);
        reject(error);
        return;
      }
      Promise.resolve(work).then(
        (output) => {
          if (end(true)) resolve(output);
        },
        (error: unknown) => {
          if (end(false)) reject(error);
        },
      );
    });
  }

  /** The binding's deadline, else the channel's, else the kit's for the channel's category. */
  private timeoutFor(channel: Channel, binding: ChannelBinding): number {
    return (
      binding.deliveryTimeoutMs ??
      channel.deliveryTimeoutMs ??
      (channel.category === ChannelCategory.INTELLIGENCE
        ? this.kit.intelligenceTimeoutMs
        : this.kit.deliveryTimeoutMs)
    );
  }

  /** A delivery is over (after retries): metrics, its span, and the event's trace. */
  private finished(
    event: RoomEvent,
    channel: Channel,
    span: Span | undefined,
    started: number,
    attempts: number,
    error?: unknown,
  ): void {
    this.kit.telemetry.delivered(channel.id, span, attempts, error);
    this.kit.eventTraces?.delivery(event, {
      channelId: channel.id,
      outcome: error === undefined ? 'delivered' : 'failed',
      attempts,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(error === undefined ? {} : { error: traceError(error) }),
    });
  }

  private reportFailure(event: RoomEvent, channel: Channel, error: unknown, attempts: number): void {
    if (channel.category === ChannelCategory.INTELLIGENCE) {
      reportIntelligenceFailure(this.kit, event.roomId, channel, error);
    } else {
      this.kit.logger.warn(
        {
          roomId: event.roomId,
          eventId: event.id,
          channelId: channel.id,
          attempts,
          err: errorMessage(error),
        },
        'delivery failed',
      );
    }
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

/**
 * One event's fan-out. `delivered` settles when every lane has finished with the event (what
 * processInbound waits for); `onHandled` runs when, in addition, every intelligence channel's
 * reply to it has been handled (what the delivery cursor waits for).
 */
class Fanout {
  readonly delivered: Promise<void>;
  private resolveDelivered!: () => void;
  /** Lanes still working; one extra until sealed, so an early finisher cannot settle it. */
  private lanes = 1;
  /** Lanes plus replies still being produced; one extra until sealed. */
  private work = 1;

  constructor(private readonly onHandled: () => void) {
    this.delivered = new Promise((resolve) => {
      this.resolveDelivered = resolve;
    });
  }

  add(lane = true): void {
    if (lane) this.lanes++;
    this.work++;
  }

  /** Every lane job is queued. */
  sealed(): void {
    this.laneDone();
  }

  laneDone(): void {
    if (--this.lanes === 0) this.resolveDelivered();
    this.workDone();
  }

  readonly workDone = (): void => {
    if (--this.work === 0) this.onHandled();
  };
}

/**
 * The context of one call to a channel. Its `signal` is created only when the channel reads it
 * (most transports never do), and aborts when the kit closes or the call's deadline passes.
 */
class LaneCall implements DeliveryContext {
  private controller?: AbortController;
  private combined?: AbortSignal;

  constructor(
    readonly kit: RoomKit,
    readonly room: Room,
    private readonly kitSignal: AbortSignal,
    readonly redelivery: boolean,
    readonly traceContext: Context | undefined,
  ) {}

  get signal(): AbortSignal {
    if (!this.combined) {
      this.controller = new AbortController();
      this.combined = AbortSignal.any([this.kitSignal, this.controller.signal]);
    }
    return this.combined;
  }

  /** The deadline passed: abort what the channel is doing and say why. */
  expire(what: string, ms: number): TimeoutError {
    const error = new TimeoutError(what, ms);
    this.controller?.abort(error);
    return error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
