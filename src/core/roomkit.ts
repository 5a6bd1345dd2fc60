import { Channel } from '../channels/channel.js';
import type {
  Access,
  ChannelBinding,
  ChannelCategory,
  EventContent,
  HookTrigger,
  InboundMessage,
  InboundResult,
  Participant,
  Room,
  RoomTimers,
  Visibility,
} from '../models/index.js';
import { RoomStatus } from '../models/index.js';
import { AbortScopes } from './abort-scopes.js';
import type { ConversationStore } from '../store/conversation-store.js';
import type { VoiceSession } from '../voice/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { Broadcaster } from './broadcaster.js';
import type { ClusterNode, ClusterOptions } from './cluster/cluster-node.js';
import { createClusterNode } from './cluster/create-cluster.js';
import type { LeaseManager } from './cluster/leases.js';
import type { PubSub } from './cluster/pubsub.js';
import { deadlines } from './deadlines.js';
import { contactRoutingOf } from './contact-identity.js';
import { EphemeralBus, type EphemeralHandler, type EphemeralSubscribeOptions } from './ephemeral.js';
import { DuplicateError, NotFoundError, RoomKitError } from './errors.js';
import { FrameworkEvents, type FrameworkEventName, type FrameworkListener } from './framework-events.js';
import { HookEngine } from './hooks/hook-engine.js';
import type { HookFn, HookOptions, HookPayload } from './hooks/types.js';
import type { IdentityResolver } from './identity.js';
import { IdentityGate } from './identity-gate.js';
import { type EventDraft, InboundPipeline, type RunOptions } from './inbound-pipeline.js';
import { validateInbound } from './inbound-validation.js';
import type { KitInternals } from './kit-internals.js';
import { InMemoryLockManager, type LockManager } from './locks.js';
import { createLogger, type Logger } from './logger.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './resilience/circuit-breaker.js';
import { RateLimiter } from './resilience/rate-limiter.js';
import type { RetryPolicy } from './resilience/retry.js';
import { type RecoveryOptions, type RoomRecovery, redrive } from './redrive.js';
import { Responder } from './responder.js';
import { RoomOps } from './room-ops.js';
import type { RoomState } from './room-state.js';
import { isPaused, RoomStates } from './room-states.js';
import { RoomTimerWheel } from './room-timers.js';
import { Router } from './router.js';
import { EventTraceLog, type EventTraceOptions } from './telemetry/event-traces.js';
import type { InboundTrace } from './telemetry/inbound-trace.js';
import { KitTelemetry, type TelemetryOptions } from './telemetry/kit-telemetry.js';

/** A channel that carries voice sessions (VoiceChannel); core knows it only by shape. */
interface VoiceCapableChannel {
  startSession(
    roomId: string,
    participantId: string,
    metadata: Record<string, unknown>,
  ): Promise<VoiceSession>;
  endSession(session: VoiceSession): Promise<void>;
}

export interface RoomKitOptions {
  store?: ConversationStore;
  lockManager?: LockManager;
  /**
   * Run as one process of a cluster (docs/cluster.md): committed and ephemeral events reach the
   * kits of the other processes through it (`RedisPubSub` from 'roomkit/pubsub/redis'). Room locks
   * and leases come from `lockManager`/`leases`, else from the store (PostgresStore).
   */
  pubsub?: PubSub;
  /** Who owns which room in a cluster (default: the store's, e.g. PostgreSQL advisory locks). */
  leases?: LeaseManager;
  /** Cluster tuning: takeover scan interval, gap fill delay, per-process channels. */
  cluster?: ClusterOptions;
  /** AI replies to AI replies stop at this depth, stored as a blocked audit event (default 5). */
  maxChainDepth?: number;
  /**
   * Waiting for the room lock plus BEFORE_BROADCAST hooks; past it nothing is stored, the hooks'
   * `ctx.signal` aborts and the lock is released (default 30 s).
   */
  processTimeoutMs?: number;
  /** Deadline of a hook that sets no `timeoutMs` (default 10 s; a late sync hook counts as throwing). */
  hookTimeoutMs?: number;
  /** Deadline of one `deliver` call to a transport (default 30 s; per channel and per binding too). */
  deliveryTimeoutMs?: number;
  /** Deadline of one `onEvent` call to an intelligence channel (default 5 min). */
  intelligenceTimeoutMs?: number;
  /** Longest silence between two chunks of a streamed reply before it is cut (default 60 s). */
  replyIdleTimeoutMs?: number;
  /** What to do about undelivered events after a restart (`kit.recover()`, or a room's first use). */
  recovery?: RecoveryOptions;
  identityResolver?: IdentityResolver;
  /** A resolver slower than this counts as 'unknown' (default 5 s). */
  identityTimeoutMs?: number;
  logger?: Logger;
  /** Default delivery retry policy for channels that set none. */
  retryPolicy?: RetryPolicy;
  circuitBreaker?: CircuitBreakerOptions;
  /** Timers for rooms created without their own. */
  defaultRoomTimers?: RoomTimers;
  /**
   * OpenTelemetry providers (default: the global ones of `@opentelemetry/api`, which record
   * nothing until the app registers an SDK). See docs/observability.md.
   */
  telemetry?: TelemetryOptions;
  /**
   * Keep each recent event's hook decisions and deliveries in memory (`kit.eventTraces`), for
   * inspectors like `roomkit serve`'s console (default false; `true` keeps 200 events per room).
   */
  eventTraces?: boolean | EventTraceOptions;
}

export interface CreateRoomOptions {
  roomId?: string;
  metadata?: Record<string, unknown>;
  organizationId?: string;
  timers?: RoomTimers;
}

export interface AttachOptions {
  category?: ChannelCategory;
  access?: Access;
  visibility?: Visibility;
  muted?: boolean;
  participantId?: string;
  metadata?: Record<string, unknown>;
  /** Deadline of one delivery to this channel in this room (overrides the channel's and the kit's). */
  deliveryTimeoutMs?: number;
}

/** The orchestrator: rooms, channels, hooks, the inbound pipeline and the delivery lanes. */
export class RoomKit {
  readonly store: ConversationStore;
  readonly logger: Logger;
  readonly ephemeral: EphemeralBus;
  /** @internal */ readonly internals: KitInternals;
  /** @internal */ readonly hooks: HookEngine;
  /** @internal */ readonly events: FrameworkEvents;
  /** @internal */ readonly pipeline: InboundPipeline;
  /** @internal */ readonly timers: RoomTimerWheel;
  /** @internal This process's part in a cluster (when `pubsub` is given). */
  readonly cluster?: ClusterNode;
  readonly rooms: RoomOps;
  /** Spans and metrics through `@opentelemetry/api`. */
  readonly telemetry: KitTelemetry;
  /** Recent events' hook decisions and deliveries, when `eventTraces` is on. */
  readonly eventTraces?: EventTraceLog;
  private readonly channels = new Map<string, Channel>();
  private readonly states: RoomStates;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly router: Router;
  private readonly identity?: IdentityGate;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly options: RoomKitOptions = {}) {
    this.store = options.store ?? new MemoryStore();
    this.logger = options.logger ?? createLogger();
    this.events = new FrameworkEvents((name, error) =>
      this.logger.error({ event: name, err: String(error) }, 'framework event listener threw'),
    );
    this.hooks = new HookEngine(
      (info) => {
        this.logger.warn(
          { hook: info.hook, trigger: info.trigger, roomId: info.roomId, err: String(info.error) },
          'hook failed',
        );
        this.events.emit('hook_error', info);
      },
      options.hookTimeoutMs,
      this,
    );
    this.ephemeral = new EphemeralBus((error) =>
      this.logger.warn({ err: String(error) }, 'ephemeral subscriber failed'),
    );
    let broadcaster!: Broadcaster;
    if (options.pubsub) {
      this.cluster = createClusterNode(options as RoomKitOptions & { pubsub: PubSub }, {
        store: this.store,
        logger: this.logger,
        peek: (id) => this.states.peek(id),
        load: (id) => this.states.load(id),
        loaded: () => this.states.loaded(),
        broadcast: (state, event, opts) => broadcaster.broadcast(state, event, opts),
        redrive: (state) => redrive(this.internals, broadcaster, state, options.recovery ?? {}),
        track: (work) => this.internals.track(work),
        lookupChannel: (id) => this.channels.get(id),
        deliverEphemeral: (event) => this.ephemeral.deliver(event),
        watchTimers: (room) => {
          if (room.status === RoomStatus.CLOSED || room.status === RoomStatus.ARCHIVED) return;
          this.timers.watch(room.id, room.timers, isPaused(room), room.lastActivityAt);
        },
        unwatchTimers: (id) => this.timers.unwatch(id),
        roomActivity: (id) => this.timers.activity(id),
      });
      this.ephemeral.relay = (event) => this.cluster?.ephemeral(event);
    }
    this.telemetry = new KitTelemetry(options.telemetry ?? {}, this.events, {
      breakers: () => [...this.breakers.values()].map((b) => ({ channelId: b.name, state: b.state })),
      queueDepths: () => {
        const depths = new Map<string, number>();
        for (const state of this.states.loaded()) {
          for (const [channelId, queue] of state.queues)
            depths.set(channelId, (depths.get(channelId) ?? 0) + queue.size);
        }
        return depths;
      },
    });
    if (options.eventTraces)
      this.eventTraces = new EventTraceLog(options.eventTraces === true ? {} : options.eventTraces);
    this.internals = this.makeInternals();
    broadcaster = new Broadcaster(this.internals);
    this.pipeline = new InboundPipeline(this.internals, broadcaster);
    // In a cluster only a room's owner watches its timers (the node starts them at takeover).
    this.states = new RoomStates(this.internals, broadcaster, options.recovery ?? {}, (room) => {
      if (!this.cluster) this.timers.watch(room.id, room.timers, isPaused(room));
    });
    const responder = new Responder(this.internals, this.pipeline);
    this.internals.handleOutput = (state, channel, binding, trigger, output) =>
      responder.handle(state, channel, binding, trigger, output);
    this.rooms = new RoomOps(this);
    this.timers = new RoomTimerWheel({
      pause: (id) => this.rooms.setStatus(id, RoomStatus.PAUSED),
      close: (id) => this.rooms.setStatus(id, RoomStatus.CLOSED),
    });
    this.router = new Router(this, contactRoutingOf(options.identityResolver));
    if (options.identityResolver) {
      this.identity = new IdentityGate(this, options.identityResolver, options.identityTimeoutMs ?? 5_000);
    }
  }

  // ---- channels -------------------------------------------------------------------------

  registerChannel(channel: Channel): void {
    if (this.channels.has(channel.id)) throw new DuplicateError('channel', channel.id);
    this.channels.set(channel.id, channel);
    channel.onRegister(this);
    for (const state of this.states.loaded()) state.invalidateReaders();
  }

  getChannel<C extends Channel = Channel>(id: string): C | undefined {
    return this.channels.get(id) as C | undefined;
  }

  listChannels(): Channel[] {
    return [...this.channels.values()];
  }

  // ---- rooms (details in RoomOps) ------------------------------------------------------

  createRoom(opts: CreateRoomOptions = {}): Promise<Room> {
    return this.rooms.create(opts);
  }

  /**
   * The room with this id, created (with `opts`) when it does not exist yet: setup code that
   * runs at every start (`getOrCreateRoom` then `attachChannel`) works against a store that
   * already holds the room.
   */
  async getOrCreateRoom(opts: CreateRoomOptions & { roomId: string }): Promise<Room> {
    const existing = await this.getRoom(opts.roomId);
    if (existing) return existing;
    try {
      return await this.rooms.create(opts);
    } catch (error) {
      // Created in between by a concurrent call: that one is the room.
      const room = error instanceof DuplicateError ? await this.getRoom(opts.roomId) : undefined;
      if (room) return room;
      throw error;
    }
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const state = await this.loadState(roomId);
    return state ? { ...state.room } : undefined;
  }

  listRooms(query?: Parameters<ConversationStore['listRooms']>[0]): Promise<Room[]> {
    return this.store.listRooms(query);
  }

  closeRoom(roomId: string): Promise<void> {
    return this.rooms.setStatus(roomId, RoomStatus.CLOSED);
  }

  pauseRoom(roomId: string): Promise<void> {
    return this.rooms.setStatus(roomId, RoomStatus.PAUSED);
  }

  archiveRoom(roomId: string): Promise<void> {
    return this.rooms.setStatus(roomId, RoomStatus.ARCHIVED);
  }

  attachChannel(roomId: string, channelId: string, opts: AttachOptions = {}): Promise<ChannelBinding> {
    return this.rooms.attach(roomId, channelId, opts);
  }

  detachChannel(roomId: string, channelId: string): Promise<void> {
    return this.rooms.detach(roomId, channelId);
  }

  mute(roomId: string, channelId: string): Promise<ChannelBinding> {
    return this.rooms.updateBinding(roomId, channelId, { muted: true }, 'channel_muted');
  }

  unmute(roomId: string, channelId: string): Promise<ChannelBinding> {
    return this.rooms.updateBinding(roomId, channelId, { muted: false }, 'channel_unmuted');
  }

  setAccess(roomId: string, channelId: string, access: Access): Promise<ChannelBinding> {
    return this.rooms.updateBinding(roomId, channelId, { access }, 'access_changed');
  }

  setVisibility(roomId: string, channelId: string, visibility: Visibility): Promise<ChannelBinding> {
    return this.rooms.updateBinding(roomId, channelId, { visibility }, 'visibility_changed');
  }

  async getBinding(roomId: string, channelId: string): Promise<ChannelBinding | undefined> {
    return (await this.loadState(roomId))?.bindings.get(channelId);
  }

  async listBindings(roomId: string): Promise<ChannelBinding[]> {
    const state = await this.loadState(roomId);
    return state ? [...state.bindings.values()] : [];
  }

  /** @internal The cached binding, synchronously (the voice path checks it on every frame). */
  peekBinding(roomId: string, channelId: string): ChannelBinding | undefined {
    return this.states.peek(roomId)?.bindings.get(channelId);
  }

  // ---- voice ---------------------------------------------------------------------------

  /**
   * Open a voice session for a participant of a room on a voice channel (VoiceChannel or
   * RealtimeVoiceChannel); `opts` go to the channel's startSession (metadata, overrides).
   */
  async connectVoice(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: { metadata?: Record<string, unknown>; [option: string]: unknown } = {},
  ): Promise<VoiceSession> {
    const channel = this.channels.get(channelId) as Partial<VoiceCapableChannel> | undefined;
    if (!channel) throw new NotFoundError('channel', channelId);
    if (typeof channel.startSession !== 'function') {
      throw new RoomKitError(`channel ${channelId} is not a voice channel`, { code: 'not_a_voice_channel' });
    }
    await this.requireState(roomId);
    return channel.startSession(roomId, participantId, opts);
  }

  async disconnectVoice(session: VoiceSession): Promise<void> {
    const channel = this.channels.get(session.channelId) as Partial<VoiceCapableChannel> | undefined;
    await channel?.endSession?.(session);
  }

  addParticipant(roomId: string, p: Partial<Participant> & { id: string }): Promise<Participant> {
    return this.rooms.addParticipant(roomId, p);
  }

  removeParticipant(roomId: string, participantId: string): Promise<void> {
    return this.rooms.removeParticipant(roomId, participantId);
  }

  listParticipants(roomId: string): Promise<Participant[]> {
    return this.store.listParticipants(roomId);
  }

  // ---- messages ------------------------------------------------------------------------

  /**
   * Process something that arrived on a channel: route it to a room, resolve identity, run
   * the pipeline, commit, and deliver. Resolves once every target has received the event
   * (replies from AI channels are committed and delivered in the background; `waitForIdle`).
   */
  processInbound(input: InboundMessage): Promise<InboundResult> {
    let message: InboundMessage;
    let channel: Channel | undefined;
    try {
      this.assertOpen();
      // Validated before anything happens (routing may create a room): a ValidationError naming
      // the field, nothing stored. System content is the framework's own and refused here.
      message = validateInbound(input);
      channel = this.channels.get(message.channelId);
      if (!channel) throw new NotFoundError('channel', message.channelId);
    } catch (error) {
      return Promise.reject(error);
    }
    // One trace per inbound event when an OpenTelemetry SDK records; routing is its first stage.
    const trace = this.telemetry.startInbound(channel.id, channel.channelType);
    trace?.begin('route');
    // The common case needs no await before the pipeline: a loaded room the channel is in, a
    // known sender, a channel that does not normalise, no identity resolver.
    const state = this.router.cached(message, channel);
    if (state && !this.identity && channel.handleInbound === Channel.prototype.handleInbound) {
      return this.pipeline.run(state, draftOf(message, channel, state), trace ? { trace } : NO_RUN_OPTIONS);
    }
    return this.routeAndRun(message, channel, trace);
  }

  private async routeAndRun(
    message: InboundMessage,
    channel: Channel,
    trace: InboundTrace | undefined,
  ): Promise<InboundResult> {
    let state: RoomState;
    let msg: InboundMessage;
    let runOpts: RunOptions = NO_RUN_OPTIONS;
    try {
      state = await this.router.route(message, channel);
      let normalized = await channel.handleInbound({ ...message, roomId: state.id });
      if (normalized.content !== message.content || normalized.metadata !== message.metadata) {
        normalized = validateInbound(normalized);
      }
      msg = normalized;
      if (this.identity) ({ message: msg, runOpts } = await this.identity.apply(state, channel, normalized));
    } catch (error) {
      trace?.end(error);
      throw error;
    }
    const opts = trace
      ? { ...runOpts, trace }
      : runOpts === NO_RUN_OPTIONS
        ? runOpts
        : { ...runOpts, trace: null };
    return this.pipeline.run(state, draftOf(msg, channel, state), opts);
  }

  /** Post content into a room as `channelId` (an agent's or system's proactive message). */
  sendEvent(
    roomId: string,
    channelId: string,
    content: EventContent,
    opts: {
      senderId?: string;
      metadata?: Record<string, unknown>;
      idempotencyKey?: string;
      visibility?: Visibility;
    } = {},
  ): Promise<InboundResult> {
    return this.processInbound({ roomId, channelId, content, ...opts, senderId: opts.senderId });
  }

  // ---- hooks, events, ephemeral ---------------------------------------------------------

  hook<T extends HookTrigger>(trigger: T, fn: HookFn<HookPayload<T>>, opts: HookOptions = {}): () => void {
    return this.hooks.register(trigger, fn as HookFn, opts);
  }

  addRoomHook<T extends HookTrigger>(
    roomId: string,
    trigger: T,
    fn: HookFn<HookPayload<T>>,
    opts: HookOptions = {},
  ): () => void {
    return this.hooks.register(trigger, fn as HookFn, { ...opts, roomId });
  }

  on<K extends FrameworkEventName>(name: K, listener: FrameworkListener<K>): () => void {
    return this.events.on(name, listener);
  }

  subscribeEphemeral(
    roomId: string,
    handler: EphemeralHandler,
    opts?: EphemeralSubscribeOptions,
  ): () => void {
    return this.ephemeral.subscribe(roomId, handler, opts);
  }

  setTyping(roomId: string, participantId: string, typing: boolean, channelId?: string): void {
    this.ephemeral.publish({ type: 'typing', roomId, participantId, channelId, data: { typing } });
  }

  setPresence(roomId: string, participantId: string, status: 'online' | 'away' | 'offline'): void {
    this.ephemeral.publish({ type: 'presence', roomId, participantId, data: { status } });
  }

  markRead(roomId: string, participantId: string, eventId: string): void {
    this.ephemeral.publish({ type: 'read_receipt', roomId, participantId, data: { eventId } });
  }

  /**
   * Resume delivery after a restart: every room whose delivery cursor is behind its timeline
   * (events committed but not handled by every channel when the process stopped) is loaded,
   * and its lanes re-deliver those events in order, flagged `redelivery`. Intelligence channels
   * answer the messages they missed (see `RoomKitOptions.recovery`), never one they already
   * answered. A room also resumes on its first use; call this once at startup, after
   * registering the channels, so nothing waits for a user to come back. Resolves when the
   * events are queued; `waitForIdle()` waits for them to be delivered.
   *
   * In a cluster it takes over the rooms left behind that no live process owns, and from then on
   * looks for rooms whose owner died (every `cluster.scanIntervalMs`) to take them over.
   */
  recover(): Promise<{ rooms: RoomRecovery[]; events: number }> {
    this.assertOpen();
    if (this.cluster) {
      this.cluster.start();
      return this.cluster.recover();
    }
    return this.states.recover();
  }

  /** Resolves when no delivery, AI reply or async hook is still running. */
  async waitForIdle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.stopAll();
    await Promise.race([this.waitForIdle(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.abort.abort();
    // Channels first: a transport finishes the messages it is committing (an ack owed to a
    // client) before anything is cut.
    for (const channel of this.channels.values()) {
      try {
        await channel.close();
      } catch (error) {
        this.logger.warn({ channelId: channel.id, err: String(error) }, 'channel close failed');
      }
    }
    // Whatever still waits on a deadline of ours ends now, instead of keeping callers waiting
    // and the process alive until it passes (a hung channel, a hung hook).
    deadlines.expireOwned(this);
    // What was handled is saved, so a restart re-drives only what was not (and what is cut
    // short by the close from here on is not counted as handled).
    await Promise.allSettled([...this.states.loaded()].map((state) => state.cursor.close()));
    // Owned rooms go to the other processes of the cluster now, not when their scan notices.
    await this.cluster?.close();
    await this.store.close();
  }

  // ---- internals -----------------------------------------------------------------------

  /** @internal The cached state of a room, loaded from the store on first use. */
  loadState(roomId: string): Promise<RoomState | undefined> {
    return this.states.load(roomId);
  }

  /** @internal The cached state of a room if it is loaded, synchronously. */
  peekState(roomId: string): RoomState | undefined {
    return this.states.peek(roomId);
  }

  /** @internal */
  requireState(roomId: string): Promise<RoomState> {
    return this.states.require(roomId);
  }

  /** @internal */
  adoptState(room: Room): RoomState {
    return this.states.adopt(room);
  }

  private assertOpen(): void {
    if (this.closed) throw new RoomKitError('the kit is closed', { code: 'kit_closed' });
  }

  private makeInternals(): KitInternals {
    return {
      kit: this,
      store: this.store,
      locks: this.cluster?.locks ?? this.options.lockManager ?? new InMemoryLockManager(),
      cluster: this.cluster,
      hooks: this.hooks,
      events: this.events,
      logger: this.logger,
      retryPolicy: this.options.retryPolicy ?? {},
      maxChainDepth: this.options.maxChainDepth ?? 5,
      processTimeoutMs: this.options.processTimeoutMs ?? 30_000,
      deliveryTimeoutMs: this.options.deliveryTimeoutMs ?? 30_000,
      intelligenceTimeoutMs: this.options.intelligenceTimeoutMs ?? 300_000,
      replyIdleTimeoutMs: this.options.replyIdleTimeoutMs ?? 60_000,
      signal: this.abort.signal,
      scopes: new AbortScopes(this.abort.signal),
      lookupChannel: (id) => this.channels.get(id),
      limiterFor: (channel) => {
        if (!channel.rateLimit) return undefined;
        let limiter = this.limiters.get(channel.id);
        if (!limiter) this.limiters.set(channel.id, (limiter = new RateLimiter(channel.rateLimit)));
        return limiter;
      },
      breakerFor: (channelId) => {
        let breaker = this.breakers.get(channelId);
        if (!breaker) {
          breaker = new CircuitBreaker(channelId, this.options.circuitBreaker, (state) =>
            this.events.emit(
              `circuit_breaker_${state === 'half_open' ? 'half_open' : state === 'open' ? 'opened' : 'closed'}`,
              {
                channelId,
              },
            ),
          );
          this.breakers.set(channelId, breaker);
        }
        return breaker;
      },
      track: (work) => {
        this.pending.add(work);
        work.then(
          () => this.pending.delete(work),
          (error) => {
            this.pending.delete(work);
            this.logger.error({ err: String(error) }, 'background work failed');
          },
        );
      },
      handleOutput: async () => {},
      telemetry: this.telemetry,
      eventTraces: this.eventTraces,
      touched: (state, event) => {
        this.timers.activity(state.id);
        this.cluster?.committed(state, event);
      },
    };
  }

  /** @internal */
  get defaultRoomTimers(): RoomTimers | undefined {
    return this.options.defaultRoomTimers;
  }
}

/** No options; `trace: null` tells the pipeline tracing was checked already (nothing records). */
const NO_RUN_OPTIONS: RunOptions = Object.freeze({ trace: null });

/** The pipeline's draft of an inbound message. */
function draftOf(msg: InboundMessage, channel: Channel, state: RoomState): EventDraft {
  return {
    source: { channelId: channel.id, channelType: channel.channelType, participantId: msg.senderId },
    content: msg.content,
    chainDepth: 0,
    visibility: msg.visibility ?? state.bindings.get(channel.id)?.visibility ?? 'all',
    metadata: msg.metadata ?? {},
    idempotencyKey: msg.idempotencyKey,
  };
}
