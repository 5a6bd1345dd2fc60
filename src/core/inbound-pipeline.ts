import {
  Access,
  ChannelType,
  type EventContent,
  type EventSource,
  EventStatus,
  EventType,
  HookTrigger,
  type InboundResult,
  type RoomEvent,
  RoomStatus,
  type Visibility,
} from '../models/index.js';
import type { Broadcaster } from './broadcaster.js';
import { isThenable } from './deadlines.js';
import { Attempt } from './inbound-attempt.js';
import type { InjectedEvent } from './hooks/hook-result.js';
import type { HookContext } from './hooks/types.js';
import { newEventId, nowIso } from './ids.js';
import { validateModifiedEvent } from './inbound-validation.js';
import type { KitInternals } from './kit-internals.js';
import { type LockSection, WHOLE_SECTION } from './locks.js';
import type { RoomState } from './room-state.js';
import type { HookRun } from './telemetry/event-traces.js';
import type { InboundTrace } from './telemetry/inbound-trace.js';

/** Everything about an event except what the pipeline assigns (id, index, status, time). */
export interface EventDraft {
  type?: RoomEvent['type'];
  source: EventSource;
  content: EventContent;
  chainDepth: number;
  visibility: Visibility;
  metadata: Record<string, unknown>;
  idempotencyKey?: string;
  responseTo?: string;
  targetChannelIds?: readonly string[];
}

export interface RunOptions {
  /** Resolve only after every target has finished with the event (default true). */
  awaitDelivery?: boolean;
  /** Skip BEFORE_BROADCAST hooks and the source gate (framework-written system events). */
  trusted?: boolean;
  /** Store the event blocked without running hooks (identity challenges and rejections). */
  block?: { reason: string; blockedBy: string };
  /** Events to add after this one, delivered only to their targets. */
  inject?: readonly InjectedEvent[];
  /**
   * The event's trace, when the caller started it (processInbound: routing came first); null
   * when the caller found that nothing records, so the pipeline does not ask again.
   */
  trace?: InboundTrace | null;
}

interface Committed {
  result: InboundResult;
  delivery?: Promise<void>;
}

export const HOOK_SOURCE_ID = 'hook';

/**
 * The inbound pipeline from the room lock on, in the design's order: lock -> status gate ->
 * idempotency -> index -> BEFORE_BROADCAST -> source write gate -> commit -> (unlock) ->
 * delivery lanes. The pre-commit timeout covers waiting for the lock and the hooks; once
 * the commit has started the event is kept, however slow delivery is.
 */
export class InboundPipeline {
  constructor(
    private readonly kit: KitInternals,
    private readonly broadcaster: Broadcaster,
  ) {}

  run(state: RoomState, draft: EventDraft, opts: RunOptions = {}): Promise<InboundResult> {
    const trace =
      opts.trace === undefined
        ? this.kit.telemetry.startInbound(draft.source.channelId, draft.source.channelType, draft.responseTo)
        : opts.trace;
    if (!trace) return this.runTraced(state, draft, opts, undefined);
    return this.runTraced(state, draft, opts, trace).catch((error: unknown) => {
      trace.end(error);
      throw error;
    });
  }

  private async runTraced(
    state: RoomState,
    draft: EventDraft,
    opts: RunOptions,
    trace: InboundTrace | undefined,
  ): Promise<InboundResult> {
    const ms = this.kit.processTimeoutMs;
    const attempt = new Attempt(
      trace,
      state.id,
      ms === undefined || ms === Number.POSITIVE_INFINITY ? undefined : ms,
      this,
    );
    trace?.begin('lock');
    let entered = false;
    const work = this.inSection(state.id, (section) => {
      entered = true;
      return this.locked(state, draft, attempt, opts, section);
    });
    // The room is busy: the pre-commit deadline covers the wait for its lock.
    const committed = await (entered ? work : attempt.guard(work));
    attempt.settle();
    if (!committed || attempt.expired) {
      trace?.outcome('timeout');
      trace?.end();
      return { blocked: true, reason: 'timeout' };
    }
    if (committed.delivery) {
      // The trace ends with the deliveries (its `roomkit.deliver` children), not at the commit.
      if (trace) committed.delivery.then(() => trace.end(), noop);
      if (opts.awaitDelivery === false) this.kit.track(committed.delivery);
      else await committed.delivery;
    } else {
      trace?.end();
    }
    return committed.result;
  }

  /** @internal The pre-commit deadline of a run passed (see Attempt). */
  timedOut(roomId: string, ms: number): void {
    this.kit.logger.warn(
      { roomId, timeoutMs: ms },
      'inbound processing timed out before commit; nothing stored',
    );
    this.kit.events.emit('event_blocked', { roomId, reason: 'timeout' });
  }

  /** @internal Tags the deadlines of runs (the kit ends them when it closes). */
  get owner(): object {
    return this.kit.kit;
  }

  /** The room's locked section; user code in it (hooks) goes through `section.asOwner`. */
  private inSection<T>(key: string, fn: (section: LockSection) => Promise<T>): Promise<T> {
    const { locks } = this.kit;
    return locks.withSection ? locks.withSection(key, fn) : locks.withLock(key, () => fn(WHOLE_SECTION));
  }

  private async locked(
    state: RoomState,
    draft: EventDraft,
    attempt: Attempt,
    opts: RunOptions,
    section: LockSection,
  ): Promise<Committed> {
    if (attempt.expired) return timedOut();
    const { room } = state;
    const trace = attempt.trace;
    trace?.endStage();
    if (room.status === RoomStatus.CLOSED || room.status === RoomStatus.ARCHIVED) {
      this.kit.events.emit('event_blocked', { roomId: room.id, reason: 'room_closed' });
      trace?.outcome('room_closed');
      return { result: { blocked: true, reason: 'room_closed' } };
    }
    // A message to a paused room wakes it; the timers re-arm on commit.
    if (room.status === RoomStatus.PAUSED && !opts.trusted) {
      await attempt.guard(this.kit.kit.rooms.setStatus(room.id, RoomStatus.ACTIVE));
      if (attempt.expired) return timedOut();
    }
    if (draft.idempotencyKey !== undefined) {
      const first = await attempt.guard(
        this.kit.store.findEventByIdempotencyKey(room.id, draft.idempotencyKey),
      );
      if (attempt.expired) return timedOut();
      if (first) {
        trace?.outcome('duplicate');
        return {
          result: {
            event: first,
            blocked: first.status === EventStatus.BLOCKED,
            reason: first.blockedBy,
            duplicate: true,
          },
        };
      }
    }

    const event = this.build(state, draft, state.nextIndex);
    let injected: readonly InjectedEvent[] = opts.inject ?? [];
    let reason: string | undefined;
    const hookRuns: HookRun[] | undefined = this.kit.eventTraces ? [] : undefined;
    if (opts.block) {
      reason = opts.block.reason;
      event.status = EventStatus.BLOCKED;
      event.blockedBy = opts.block.blockedBy;
    } else if (draft.chainDepth > this.kit.maxChainDepth) {
      reason = 'max_chain_depth';
      event.status = EventStatus.BLOCKED;
      event.blockedBy = 'max_chain_depth';
      event.type = EventType.AUDIT;
    } else if (!opts.trusted) {
      if (this.kit.hooks.has(HookTrigger.BEFORE_BROADCAST)) {
        const ctx: HookContext = {
          kit: this.kit.kit,
          trigger: HookTrigger.BEFORE_BROADCAST,
          roomId: room.id,
          room,
          channelId: event.source.channelId,
          channelType: event.source.channelType,
          direction: 'inbound',
          get signal() {
            return attempt.signal;
          },
        };
        trace?.begin('hooks');
        // Hooks are user code: calls they make back into this room run as the lock's owner.
        const ran = section.asOwner(() =>
          this.kit.hooks.runSync(HookTrigger.BEFORE_BROADCAST, event, ctx, validateModifiedEvent, hookRuns),
        );
        // Hooks that all returned plain values need no wait, so no deadline either.
        const outcome = isThenable(ran) ? await attempt.guard(ran) : ran;
        trace?.endStage();
        if (!outcome || attempt.expired) return timedOut();
        // A hook may rewrite content, metadata and visibility (validated); the rest is ours.
        const changed = outcome.payload;
        if (changed !== event) {
          event.content = changed.content;
          event.metadata = changed.metadata;
          event.visibility = changed.visibility;
        }
        if (outcome.injected.length) injected = [...injected, ...outcome.injected];
        if (!outcome.allowed) {
          reason = outcome.reason;
          event.status = EventStatus.BLOCKED;
          event.blockedBy = outcome.blockedBy;
        }
      }
      if (event.status !== EventStatus.BLOCKED) {
        const gate = this.sourceGate(state, event.source.channelId);
        if (gate) {
          reason = gate;
          event.status = EventStatus.BLOCKED;
          event.blockedBy = gate;
        }
      }
    }

    if (attempt.expired) return timedOut();
    attempt.settle();
    trace?.begin('commit');
    // What hooks injected is committed with the event, in one go (one transaction in a store that
    // groups commits); each is delivered once committed, in index order.
    const extra = injected.length
      ? injected.map((inj) => this.build(state, injectedDraft(inj, event), 0))
      : [];
    const extraCommits = extra.length ? this.commitAll(state, [event, ...extra]) : undefined;
    if (extraCommits) await extraCommits[0];
    else await this.commit(state, event);
    this.kit.eventTraces?.record(event, hookRuns);
    if (trace) {
      trace.endStage();
      trace.event(event);
      this.kit.telemetry.committed(event.id, trace.span);
    }
    const deliveries: Promise<void>[] = [];
    if (event.status === EventStatus.BLOCKED) {
      this.kit.events.emit('event_blocked', {
        event,
        roomId: room.id,
        reason: reason ?? 'blocked',
        blockedBy: event.blockedBy,
      });
      state.cursor.complete(event.index);
    } else {
      deliveries.push(this.broadcaster.broadcast(state, event, trace ? { trace: trace.context } : undefined));
    }
    for (let k = 0; k < extra.length; k++) {
      const injectedEvent = extra[k]!;
      await extraCommits![k + 1];
      this.kit.eventTraces?.record(injectedEvent, undefined);
      deliveries.push(
        this.broadcaster.broadcast(state, injectedEvent, trace ? { trace: trace.context } : undefined),
      );
    }
    const delivery =
      deliveries.length === 0
        ? undefined
        : deliveries.length === 1
          ? deliveries[0]
          : Promise.all(deliveries).then(noop);
    return { result: { event, blocked: event.status === EventStatus.BLOCKED, reason }, delivery };
  }

  /**
   * Read-only/none or muted sources may speak, but nobody hears them. The names are the
   * original's `blockedBy` values.
   */
  private sourceGate(state: RoomState, channelId: string): string | undefined {
    const binding = state.bindings.get(channelId);
    if (!binding) return undefined;
    if (binding.access === Access.READ_ONLY || binding.access === Access.NONE) return 'source_read_only';
    if (binding.muted) return 'source_muted';
    return undefined;
  }

  private build(state: RoomState, draft: EventDraft, index: number): RoomEvent {
    const event: RoomEvent = {
      id: newEventId(),
      roomId: state.id,
      type: draft.type ?? (draft.content.type === 'system' ? EventType.SYSTEM : EventType.MESSAGE),
      source: draft.source,
      content: draft.content,
      status: EventStatus.DELIVERED,
      index,
      chainDepth: draft.chainDepth,
      visibility: draft.visibility,
      createdAt: nowIso(),
      metadata: draft.metadata,
    };
    if (draft.idempotencyKey !== undefined) event.idempotencyKey = draft.idempotencyKey;
    if (draft.responseTo !== undefined) event.responseTo = draft.responseTo;
    if (draft.targetChannelIds !== undefined) event.targetChannelIds = draft.targetChannelIds;
    return event;
  }

  private async commit(state: RoomState, event: RoomEvent): Promise<void> {
    // Hooks saw the provisional index; a re-entrant call from a hook may have committed
    // in between, so the final position is taken now.
    event.index = state.nextIndex;
    await this.kit.store.addEvent(event);
    this.committed(state, event);
  }

  /**
   * Commits several events of the room at once, with consecutive indices from the next one;
   * each promise settles once its event is committed (and the room's state moved past it). When
   * one fails, the ones after it fail too (their index no longer follows): nothing leaves a gap.
   */
  private commitAll(state: RoomState, events: RoomEvent[]): Promise<void>[] {
    let index = state.nextIndex;
    const commits = events.map((event) => {
      event.index = index++;
      return this.kit.store.addEvent(event).then(() => this.committed(state, event));
    });
    // Awaited one by one by the caller, who stops at the first failure: the rest are handled here.
    for (const commit of commits) commit.catch(noop);
    return commits;
  }

  private committed(state: RoomState, event: RoomEvent): void {
    state.nextIndex = event.index + 1;
    state.room.eventCount = state.nextIndex;
    state.room.lastActivityAt = event.createdAt;
    this.kit.touched(state, event);
  }
}

function injectedDraft(inj: InjectedEvent, cause: RoomEvent): EventDraft {
  return {
    source: { channelId: HOOK_SOURCE_ID, channelType: ChannelType.SYSTEM },
    content: inj.content,
    chainDepth: cause.chainDepth,
    visibility: 'all',
    metadata: inj.metadata ?? {},
    responseTo: cause.id,
    targetChannelIds: inj.targetChannelIds,
  };
}

function noop(): void {}

function timedOut(): Committed {
  return { result: { blocked: true, reason: 'timeout' } };
}
