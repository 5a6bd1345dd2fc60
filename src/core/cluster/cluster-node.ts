import type { Channel } from '../../channels/channel.js';
import { EventStatus, type Room, RoomStatus, type RoomEvent } from '../../models/index.js';
import type { ConversationStore } from '../../store/conversation-store.js';
import type { BroadcastOptions } from '../broadcaster.js';
import { DeliveryCursor } from '../delivery-cursor.js';
import type { EphemeralEvent } from '../ephemeral.js';
import { errorMessage } from '../errors.js';
import { newId } from '../ids.js';
import type { LockManager } from '../locks.js';
import type { Logger } from '../logger.js';
import type { RoomRecovery } from '../redrive.js';
import type { Reader, RoomState } from '../room-state.js';
import {
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  roomTopic,
  type StreamDelta,
} from './cluster-messages.js';
import type { CoordinatingStore, LeaseManager } from './leases.js';
import { isPerProcess } from './per-process.js';
import { applyRoomRecord, replaceBindings, streamViewers } from './remote-changes.js';
import type { PubSub } from './pubsub.js';
import { RoomFeed } from './room-feed.js';
import { SyncingLocks } from './syncing-locks.js';

export interface ClusterOptions {
  /** How often this process looks for rooms without a live owner to take over (default 1000 ms). */
  scanIntervalMs?: number;
  /** How long an out-of-order event waits for the missing ones before the store is read (default 100 ms). */
  gapFillMs?: number;
  /**
   * Ids of channels every process delivers to its own endpoints, besides the ones recognised by
   * shape (multiplexed channels such as WebSocketChannel, and voice channels). All other channels
   * are delivered once, by the room's owner.
   */
  perProcessChannels?: readonly string[];
}

/** What the node needs from its kit (kept narrow so the cluster logic reads on its own). */
export interface ClusterHost {
  readonly store: ConversationStore;
  readonly logger: Logger;
  peek(roomId: string): RoomState | undefined;
  load(roomId: string): Promise<RoomState | undefined>;
  loaded(): Iterable<RoomState>;
  broadcast(state: RoomState, event: RoomEvent, opts?: BroadcastOptions): Promise<void>;
  redrive(state: RoomState): Promise<RoomRecovery | undefined>;
  track(work: Promise<unknown>): void;
  lookupChannel(id: string): Channel | undefined;
  deliverEphemeral(event: EphemeralEvent): void;
  watchTimers(room: Room): void;
  unwatchTimers(roomId: string): void;
  roomActivity(roomId: string): void;
}

/**
 * One process's part in a cluster of kits that share a store, a pub/sub, room locks and room
 * leases (docs/cluster.md). Every process fans every committed event of the rooms it holds out
 * to its own endpoints (WebSocket clients, voice sessions), in index order; the room's owner, the
 * holder of its lease, also does what must happen once: intelligence channels, outside
 * transports, timers, the delivery cursor. When an owner dies its lease ends with its database
 * session, and another process takes the room over: it re-drives what the dead owner had not
 * finished, from the store's delivery cursor.
 */
export class ClusterNode {
  readonly id = newId('proc');
  readonly locks: LockManager;
  private readonly feeds = new Map<string, RoomFeed>();
  private readonly unsubscribe = new Map<string, Promise<(() => Promise<void>) | undefined>>();
  private readonly owned = new Set<string>();
  private readonly takingOver = new Map<string, Promise<RoomRecovery | undefined>>();
  private readonly perProcess: ReadonlySet<string>;
  private readonly offs: Array<() => void> = [];
  private scanTimer?: NodeJS.Timeout;
  private scanning = false;
  private closed = false;

  constructor(
    private readonly host: ClusterHost,
    private readonly pubsub: PubSub,
    locks: LockManager,
    private readonly leases: LeaseManager,
    private readonly options: ClusterOptions = {},
  ) {
    this.perProcess = new Set(options.perProcessChannels ?? []);
    this.locks = new SyncingLocks(locks, (roomId) => this.sync(roomId));
    this.offs.push(this.leases.onLost((keys) => this.lost(keys)));
    if (pubsub.onConnectionChange) {
      this.offs.push(pubsub.onConnectionChange((state) => state === 'up' && void this.reconnected()));
    }
  }

  /** Start looking for orphaned rooms (call once the kit's channels are registered). */
  start(): void {
    if (this.scanTimer || this.closed) return;
    this.scanTimer = setInterval(() => void this.scan(), this.options.scanIntervalMs ?? 1000);
    this.scanTimer.unref();
  }

  /** Whether this process owns the room (its lease is held and the takeover is done). */
  owns(roomId: string): boolean {
    return this.owned.has(roomId);
  }

  /** The rooms this process owns now. */
  ownedRooms(): string[] {
    return [...this.owned];
  }

  // ---- hooks the kit calls ---------------------------------------------------------------

  /** A room's state was created here (loaded or created): follow its topic, try to own it. */
  attach(state: RoomState): void {
    if (this.closed || this.feeds.has(state.id)) return;
    const feed = new RoomFeed(
      state.id,
      state.nextIndex - 1,
      (event) => this.fanOut(state, event),
      (afterIndex, limit) => this.host.store.listEvents(state.id, { afterIndex, limit }),
      (error) => this.warn('catching up a room failed', state.id, error),
      this.options.gapFillMs,
    );
    this.feeds.set(state.id, feed);
    const subscribed = this.pubsub
      .subscribe(roomTopic(state.id), (raw) => this.onMessage(state.id, raw))
      .then(
        async (off) => {
          // Events committed between reading the room and subscribing were not heard: read them.
          await feed.catchUp().catch((error) => this.warn('catching up a room failed', state.id, error));
          return off;
        },
        (error) => {
          this.warn('subscribing to a room failed', state.id, error);
          return undefined;
        },
      );
    this.unsubscribe.set(state.id, subscribed);
    void this.claim([state.id]);
  }

  /** The kit's delivery cursor for a room: only an owner's cursor is written to the store. */
  cursorFor(roomId: string, index: number, owner = false): DeliveryCursor {
    const persist = owner ? (i: number) => this.host.store.advanceDeliveryCursor(roomId, i) : async () => {};
    return new DeliveryCursor(index, persist, this.host.logger);
  }

  /** Whether a reader gets an event in this process (the broadcaster asks, per reader). */
  delivers(state: RoomState, reader: Reader, redelivery: boolean): boolean {
    const local = isPerProcess(reader.channel, this.perProcess);
    // A re-drive after a takeover is the dead owner's unfinished work; this process's endpoints
    // already had those events live (or as history when they joined).
    if (redelivery) return !local && this.owned.has(state.id);
    return local || this.owned.has(state.id);
  }

  /** This process committed an event (under the room lock): tell the others. */
  committed(state: RoomState, event: RoomEvent): void {
    this.feeds.get(state.id)?.committedHere(event.index);
    this.publish(state.id, { t: 'e', o: this.id, e: event });
  }

  ephemeral(event: EphemeralEvent): void {
    this.publish(event.roomId, { t: 'x', o: this.id, x: event });
  }

  streamDelta(delta: StreamDelta): void {
    this.publish(delta.roomId, { t: 'd', o: this.id, d: delta });
  }

  /** The room record or its bindings changed here: the others read them again. */
  roomChanged(roomId: string): void {
    this.publish(roomId, { t: 'c', o: this.id });
  }

  /** Under the room lock, before the pipeline runs: bring the room up to date with the store. */
  async sync(roomId: string): Promise<void> {
    const state = this.host.peek(roomId);
    const feed = this.feeds.get(roomId);
    if (!state || !feed) return;
    const room = await this.host.store.getRoom(roomId);
    if (!room) return;
    this.applyRoom(state, room);
    if (room.eventCount - 1 > feed.fanned) await feed.catchUp();
  }

  /** `kit.recover()` in a cluster: take over the rooms left behind that nobody owns. */
  async recover(): Promise<{ rooms: RoomRecovery[]; events: number }> {
    const ids = await this.host.store.listUndeliveredRooms();
    const held = await this.leases.claim(ids.filter((id) => !this.owned.has(id)));
    const rooms: RoomRecovery[] = [];
    for (const id of ids) {
      if (!held.has(id)) continue;
      const resumed = await this.takeOver(id);
      if (resumed) rooms.push(resumed);
    }
    return { rooms, events: rooms.reduce((n, r) => n + r.events, 0) };
  }

  /** Hand owned rooms to the others at once (their scan would find them within a second anyway). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.scanTimer);
    for (const off of this.offs.splice(0)) off();
    const mine = [...this.owned];
    this.owned.clear();
    await this.leases.release(mine).catch(() => {});
    await Promise.all(
      mine.map((id) => this.pubsub.publish(roomTopic(id), encodeMessage({ t: 'r', o: this.id }))),
    );
    for (const feed of this.feeds.values()) feed.close();
    const offs = await Promise.all(this.unsubscribe.values());
    await Promise.all(offs.map((off) => off?.().catch(() => {})));
    await this.pubsub.close();
  }

  // ---- ownership ---------------------------------------------------------------------------

  /** Try to take these rooms' leases; take over the ones won. */
  private async claim(roomIds: readonly string[]): Promise<void> {
    const wanted = roomIds.filter((id) => !this.owned.has(id) && !this.takingOver.has(id));
    if (!wanted.length || this.closed) return;
    let held: Set<string>;
    try {
      held = await this.leases.claim(wanted);
    } catch (error) {
      this.warn('claiming room leases failed', undefined, error);
      return;
    }
    for (const id of wanted) {
      if (held.has(id)) void this.takeOver(id);
      else if (!this.owned.has(id)) this.host.unwatchTimers(id); // another process watches them
    }
  }

  /**
   * Become the room's owner: under the room lock (nothing commits meanwhile, and the lock's sync
   * has fanned every committed event out here), start the owner's cursor where the store's is and
   * re-drive what lies after it to the owner's channels.
   */
  private takeOver(roomId: string): Promise<RoomRecovery | undefined> {
    const running = this.takingOver.get(roomId);
    if (running) return running;
    const work = (async () => {
      try {
        const state = await this.host.load(roomId);
        if (!state) {
          await this.leases.release([roomId]);
          return undefined;
        }
        return await this.locks.withLock(roomId, async () => {
          if (!this.leases.holds(roomId) || this.closed) return undefined;
          this.owned.add(roomId);
          state.cursor = this.cursorFor(roomId, await this.host.store.getDeliveryCursor(roomId), true);
          const resumed = await this.host.redrive(state);
          if (resumed) state.resumed = resumed;
          this.host.watchTimers(state.room);
          return resumed;
        });
      } catch (error) {
        // The lease stays held; the next scan tries again.
        this.owned.delete(roomId);
        this.warn('taking a room over failed', roomId, error);
        return undefined;
      } finally {
        this.takingOver.delete(roomId);
      }
    })();
    this.takingOver.set(roomId, work);
    return work;
  }

  /** Leases gone without a release (the coordinator connection dropped): stop owning them. */
  private lost(keys: string[]): void {
    for (const roomId of keys) {
      if (!this.owned.delete(roomId)) continue;
      const state = this.host.peek(roomId);
      if (state) state.cursor = this.cursorFor(roomId, state.cursor.index);
      this.host.unwatchTimers(roomId);
    }
    if (keys.length) this.host.logger.warn({ rooms: keys.length }, 'room leases lost; will claim them again');
  }

  /** Rooms that may have no live owner: the ones loaded here, behind, or with timers. */
  private async scan(): Promise<void> {
    if (this.scanning || this.closed) return;
    this.scanning = true;
    try {
      const candidates = new Set<string>();
      for (const state of this.host.loaded()) candidates.add(state.id);
      for (const id of await this.host.store.listUndeliveredRooms()) candidates.add(id);
      const timed = (this.host.store as Partial<CoordinatingStore>).listTimedRooms;
      if (timed) for (const id of await timed.call(this.host.store)) candidates.add(id);
      for (const id of this.owned) candidates.delete(id);
      await this.claim([...candidates]);
    } catch (error) {
      this.warn('scanning for orphaned rooms failed', undefined, error);
    } finally {
      this.scanning = false;
    }
  }

  // ---- what arrives from the others ---------------------------------------------------------

  private onMessage(roomId: string, raw: string): void {
    const message = decodeMessage(raw);
    if (!message || message.o === this.id || this.closed) return;
    const state = this.host.peek(roomId);
    const feed = this.feeds.get(roomId);
    if (!state || !feed) return;
    switch (message.t) {
      case 'e':
        if (message.e.roomId === roomId) feed.offer(message.e);
        return;
      case 'x':
        if (message.x.roomId === roomId) this.host.deliverEphemeral(message.x);
        return;
      case 'd':
        if (message.d.roomId === roomId) this.deliverDelta(state, message.d);
        return;
      case 'c':
        void this.refresh(state);
        return;
      case 'r':
        void this.claim([roomId]);
        return;
      case 'h':
        feed.hint(message.i);
        return;
    }
  }

  /** A committed event reaches this process's readers (the others' event, or a catch-up). */
  private fanOut(state: RoomState, event: RoomEvent): void {
    if (event.index >= state.nextIndex) {
      state.nextIndex = event.index + 1;
      state.room.eventCount = state.nextIndex;
      state.room.lastActivityAt = event.createdAt;
    }
    this.host.roomActivity(state.id);
    if (event.status === EventStatus.BLOCKED) {
      state.cursor.complete(event.index);
      return;
    }
    this.host.track(this.host.broadcast(state, event));
  }

  /** Streamed reply text produced elsewhere, to this process's streaming endpoints. */
  private deliverDelta(state: RoomState, delta: StreamDelta): void {
    for (const channel of streamViewers(state, delta, this.perProcess, (id) => this.host.lookupChannel(id))) {
      channel.deliverStreamDelta({ ...delta }).catch((error: unknown) => {
        this.warn('stream delta delivery failed', state.id, error);
      });
    }
  }

  /** Another process changed the room or its bindings: read them again. */
  private async refresh(state: RoomState): Promise<void> {
    try {
      const [room, bindings] = await Promise.all([
        this.host.store.getRoom(state.id),
        this.host.store.listBindings(state.id),
      ]);
      if (!room) return;
      this.applyRoom(state, room);
      replaceBindings(state, bindings);
      if (this.owned.has(state.id)) this.host.watchTimers(state.room);
    } catch (error) {
      this.warn('refreshing a room failed', state.id, error);
    }
  }

  private applyRoom(state: RoomState, fresh: Room): void {
    applyRoomRecord(state, fresh);
    if (state.room.status === RoomStatus.CLOSED || state.room.status === RoomStatus.ARCHIVED) {
      this.host.unwatchTimers(state.id);
    }
  }

  /** Pub/sub is back: whatever was published meanwhile is read from the store, and announced. */
  private async reconnected(): Promise<void> {
    for (const state of this.host.loaded()) {
      const feed = this.feeds.get(state.id);
      if (!feed) continue;
      await feed.catchUp().catch((error) => this.warn('catching up a room failed', state.id, error));
      void this.refresh(state);
      // Our own commits made while disconnected were never announced: say where the room is.
      this.publish(state.id, { t: 'h', o: this.id, i: state.nextIndex - 1 });
    }
  }

  private publish(roomId: string, message: ClusterMessage): void {
    if (this.closed) return;
    void this.pubsub.publish(roomTopic(roomId), encodeMessage(message));
  }

  private warn(what: string, roomId: string | undefined, error: unknown): void {
    this.host.logger.warn({ roomId, err: errorMessage(error) }, what);
  }
}
