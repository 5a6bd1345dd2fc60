import type { Context, Span } from '@opentelemetry/api';
import type { Channel, ChannelOutput, DeliveryContext } from '../channels/channel.js';
import {
  ChannelCategory,
  type ChannelBinding,
  HookTrigger,
  type Room,
  type RoomEvent,
} from '../models/index.js';
import { type AbortScopes, abortSource } from './abort-scopes.js';
import type { LazyAbortController } from './lazy-abort-controller.js';
import { type Deadline, deadlines } from './deadlines.js';
import { errorMessage, isRetryable, TimeoutError } from './errors.js';
import { reportIntelligenceFailure } from './failure-notice.js';
import type { Fanout } from './fanout.js';
import type { KitInternals } from './kit-internals.js';
import { backoffDelay, DEFAULT_RETRY } from './resilience/retry.js';
import type { LaneJob, RoomState } from './room-state.js';
import type { RoomKit } from './roomkit.js';
import { traceError } from './telemetry/event-traces.js';
import { transcodeFor } from './transcode.js';

/**
 * One lane job: one event to one target. Transcode, then rate limit (waits), circuit breaker
 * and the call under its deadline, with retry and backoff. Nothing a channel does (throw, hang,
 * return garbage) escapes it, and it tells its lane exactly once that it is over.
 *
 * Written as an object with callbacks rather than an async function: it runs per target per
 * event, and on the text path promises, closures and async frames are most of the cost.
 */
export class LaneDelivery implements LaneJob {
  next?: LaneJob;
  private done!: () => void;
  private over = false;
  private span?: Span;
  private spanContext?: Context;
  private started = 0;
  private shaped!: RoomEvent;
  /** Calls made so far (1 + retries). */
  private attempts = 0;

  constructor(
    private readonly kit: KitInternals,
    /** Runs lane work outside any lock owner's async context (see RoomState's spawn). */
    private readonly detach: (fn: () => void) => void,
    private readonly state: RoomState,
    private readonly event: RoomEvent,
    private readonly channel: Channel,
    private readonly binding: ChannelBinding,
    private readonly fanout: Fanout,
    private readonly redelivery: boolean,
    private readonly parentTrace: Context | undefined,
  ) {}

  start(done: () => void): void {
    this.done = done;
    try {
      this.begin();
    } catch (error) {
      this.crash(error);
    }
  }

  private begin(): void {
    const { channel } = this;
    if (this.parentTrace) {
      const delivery = this.kit.telemetry.startDelivery(this.parentTrace, channel);
      this.span = delivery?.span;
      this.spanContext = delivery?.context;
    }
    if (this.kit.eventTraces) this.started = performance.now();
    let shaped: RoomEvent | undefined;
    try {
      shaped = transcodeFor(this.event, channel.capabilities);
    } catch (error) {
      this.attempts = 1;
      this.failed(error);
      return;
    }
    if (!shaped) {
      this.span?.end();
      this.finish();
      return;
    }
    this.shaped = shaped;
    this.attempt();
  }

  private attempt(): void {
    const limiter = this.kit.limiterFor(this.channel);
    if (!limiter) {
      this.call();
      return;
    }
    limiter.acquire(this.kit.signal).then(
      () => this.guard(() => this.call()),
      (error: unknown) =>
        this.guard(() => {
          this.attempts++;
          this.afterFailure(error);
        }),
    );
  }

  /**
   * One call to the channel, through the circuit breaker and under its deadline: whichever of
   * the call and the deadline ends first decides the attempt.
   */
  private call(): void {
    this.attempts++;
    const { channel, binding } = this;
    const breaker = this.kit.breakerFor(channel.id);
    let call: LaneCall;
    try {
      call = new LaneCall(
        this.kit.kit,
        this.state.room,
        this.kit.scopes,
        this.redelivery,
        this.spanContext,
        breaker.admit(),
      );
    } catch (error) {
      this.afterFailure(error); // the breaker is open
      return;
    }
    const timeoutMs = timeoutFor(this.kit, channel, binding);
    if (timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY) {
      // The wheel fires on its own timer: back into the lane's context before going on.
      call.deadline = deadlines.add(
        timeoutMs,
        () =>
          this.detach(() => this.settle(call, false, call.expire(`delivery to ${channel.id}`, timeoutMs))),
        this.kit.kit,
      );
    }
    let work: ChannelOutput | Promise<ChannelOutput>;
    try {
      work =
        channel.category === ChannelCategory.INTELLIGENCE
          ? channel.onEvent(this.shaped, binding, call)
          : channel.deliver(this.shaped, binding, call);
    } catch (error) {
      this.settle(call, false, error);
      return;
    }
    Promise.resolve(work).then(
      (output) => this.settle(call, true, output),
      (error: unknown) => this.settle(call, false, error),
    );
  }

  private settle(call: LaneCall, ok: boolean, outcome: unknown): void {
    if (!call.open) return;
    call.open = false;
    call.deadline?.cancel();
    try {
      this.kit.breakerFor(this.channel.id).settle(call.trial, ok);
      if (ok) this.delivered(outcome as ChannelOutput | undefined, call);
      else {
        call.release();
        this.afterFailure(outcome);
      }
    } catch (error) {
      this.crash(error);
    }
  }

  private afterFailure(error: unknown): void {
    const policy = this.channel.retryPolicy ?? this.kit.retryPolicy;
    const maxRetries = policy.maxRetries ?? DEFAULT_RETRY.maxRetries;
    if (this.attempts <= maxRetries && isRetryable(error) && !this.kit.signal.aborted) {
      setTimeout(
        () => this.detach(() => this.guard(() => this.attempt())),
        backoffDelay(policy, this.attempts - 1),
      );
      return;
    }
    this.failed(error);
  }

  private delivered(output: ChannelOutput | undefined, call: LaneCall): void {
    this.record();
    if (output && this.channel.category === ChannelCategory.INTELLIGENCE) {
      // The reply is produced in the background (see docs/decisions.md), but the event counts
      // as handled only once it is: the delivery cursor must not pass an unanswered message.
      // A streamed reply still reads the call's signal, so the kit closing stops it until then.
      const { fanout } = this;
      fanout.add(false);
      const handled = this.kit.handleOutput(this.state, this.channel, this.binding, this.event, output);
      this.kit.track(handled);
      const done = () => {
        call.release();
        fanout.workDone();
      };
      handled.then(done, done);
    } else call.release();
    this.finish();
  }

  /** Failed for good (after retries): reported, and the lane goes on. */
  private failed(error: unknown): void {
    reportFailure(this.kit, this.event, this.channel, error, this.attempts);
    this.record(error);
    this.finish();
  }

  /** Metrics, the delivery's span, and the event's trace. */
  private record(error?: unknown): void {
    const { kit, channel } = this;
    kit.telemetry.delivered(channel.id, this.span, this.attempts, error);
    kit.eventTraces?.delivery(this.event, {
      channelId: channel.id,
      outcome: error === undefined ? 'delivered' : 'failed',
      attempts: this.attempts,
      durationMs: Math.round((performance.now() - this.started) * 1000) / 1000,
      ...(error === undefined ? {} : { error: traceError(error) }),
    });
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.fanout.laneDone();
    this.done();
  }

  /** Runs a step that continues the job from a callback of its own. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.crash(error);
    }
  }

  /** A bug of ours (or a throwing logger or listener): reported, and the lane goes on. */
  private crash(error: unknown): void {
    try {
      this.kit.logger.error(
        { roomId: this.state.id, channelId: this.channel.id, err: errorMessage(error) },
        'delivery lane job failed',
      );
    } catch {
      // nothing left to tell
    }
    this.finish();
  }
}

/**
 * The context of one call to a channel. Its `signal` is created only when the channel reads it
 * (most transports never do), and aborts when the kit closes or the call's deadline passes.
 */
class LaneCall implements DeliveryContext {
  /** The call has not been decided yet (by its result or its deadline). */
  open = true;
  deadline?: Deadline;
  private controller?: LazyAbortController;

  constructor(
    readonly kit: RoomKit,
    readonly room: Room,
    /** Aborts the call's signal when the kit closes. */
    private readonly scopes: AbortScopes,
    readonly redelivery: boolean,
    readonly traceContext: Context | undefined,
    /** This call is the circuit breaker's half-open trial. */
    readonly trial: boolean,
  ) {}

  /** Made on first use (most transports never read it): aborts on the deadline or the kit closing. */
  get signal(): AbortSignal {
    return this[abortSource]().signal;
  }

  /** The call's abort for our own channels to follow, without making its AbortSignal. */
  [abortSource](): LazyAbortController {
    this.controller ??= this.scopes.open();
    return this.controller;
  }

  /** The call's work is over (its streamed reply included): the kit closing no longer aborts it. */
  release(): void {
    if (this.controller) this.scopes.release(this.controller);
  }

  /** The deadline passed: abort what the channel is doing and say why. */
  expire(what: string, ms: number): TimeoutError {
    const error = new TimeoutError(what, ms);
    this.controller?.abort(error);
    return error;
  }
}

/** The binding's deadline, else the channel's, else the kit's for the channel's category. */
function timeoutFor(kit: KitInternals, channel: Channel, binding: ChannelBinding): number {
  return (
    binding.deliveryTimeoutMs ??
    channel.deliveryTimeoutMs ??
    (channel.category === ChannelCategory.INTELLIGENCE ? kit.intelligenceTimeoutMs : kit.deliveryTimeoutMs)
  );
}

function reportFailure(
  kit: KitInternals,
  event: RoomEvent,
  channel: Channel,
  error: unknown,
  attempts: number,
): void {
  if (channel.category === ChannelCategory.INTELLIGENCE) {
    reportIntelligenceFailure(kit, event.roomId, channel, error);
  } else {
    kit.logger.warn(
      { roomId: event.roomId, eventId: event.id, channelId: channel.id, attempts, err: errorMessage(error) },
      'delivery failed',
    );
  }
  kit.events.emit('delivery_failed', { event, channelId: channel.id, error, attempts });
  if (kit.hooks.has(HookTrigger.ON_DELIVERY_FAILED)) {
    kit.track(
      kit.hooks.runAsync(HookTrigger.ON_DELIVERY_FAILED, event, {
        kit: kit.kit,
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
