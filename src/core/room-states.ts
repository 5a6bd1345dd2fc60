import { type Room, RoomStatus } from '../models/index.js';
import { bindingsChanged } from './binding-changes.js';
import type { Broadcaster } from './broadcaster.js';
import { DeliveryCursor } from './delivery-cursor.js';
import { NotFoundError } from './errors.js';
import type { KitInternals } from './kit-internals.js';
import { type RecoveryOptions, type RoomRecovery, redrive } from './redrive.js';
import { RoomState } from './room-state.js';

/**
 * The kit's cache of room states: each room is read from the store once (concurrent first uses
 * share one read), and a room whose delivery cursor is behind its timeline re-drives the
 * missing deliveries while it loads, before anything else can use it.
 */
export class RoomStates {
  private readonly states = new Map<string, RoomState>();
  private readonly loading = new Map<string, Promise<RoomState | undefined>>();

  constructor(
    private readonly kit: KitInternals,
    private readonly broadcaster: Broadcaster,
    private readonly recovery: RecoveryOptions,
    /** A room was loaded: start its inactivity timers. */
    private readonly onLoaded: (room: Room) => void,
  ) {}

  /** The state if it is loaded, synchronously. */
  peek(roomId: string): RoomState | undefined {
    return this.states.get(roomId);
  }

  loaded(): IterableIterator<RoomState> {
    return this.states.values();
  }

  async load(roomId: string): Promise<RoomState | undefined> {
    const cached = this.states.get(roomId);
    if (cached) return cached;
    let inflight = this.loading.get(roomId);
    if (!inflight) {
      inflight = this.read(roomId);
      this.loading.set(roomId, inflight);
    }
    try {
      return await inflight;
    } finally {
      this.loading.delete(roomId);
    }
  }

  async require(roomId: string): Promise<RoomState> {
    const state = await this.load(roomId);
    if (!state) throw new NotFoundError('room', roomId);
    return state;
  }

  /** A room this kit just created: nothing to read, nothing to re-drive. */
  adopt(room: Room): RoomState {
    const state = this.create(room, -1);
    this.publish(room.id, state);
    this.kit.cluster?.attach(state);
    return state;
  }

  /** Load every room the store says is behind (see `RoomKit.recover`). */
  async recover(): Promise<{ rooms: RoomRecovery[]; events: number }> {
    const rooms: RoomRecovery[] = [];
    for (const roomId of await this.kit.store.listUndeliveredRooms()) {
      if (this.states.has(roomId)) continue; // live in this process: its lanes are running
      const resumed = (await this.load(roomId))?.resumed;
      if (resumed) rooms.push(resumed);
    }
    return { rooms, events: rooms.reduce((n, r) => n + r.events, 0) };
  }

  private async read(roomId: string): Promise<RoomState | undefined> {
    const { store } = this.kit;
    const room = await store.getRoom(roomId);
    if (!room) return undefined;
    const state = this.create(room, await store.getDeliveryCursor(roomId));
    for (const binding of await store.listBindings(roomId)) state.setBinding(binding);
    const { cluster } = this.kit;
    if (cluster) {
      // In a cluster the room's owner re-drives, when it takes the room over (cluster-node.ts).
      this.publish(roomId, state);
      cluster.attach(state);
      return state;
    }
    // Before the state is published: re-driven events queue ahead of any new one.
    state.resumed = await redrive(this.kit, this.broadcaster, state, this.recovery);
    this.publish(roomId, state);
    this.onLoaded(room);
    return state;
  }

  /** The state is now the room's: bindings read before it was there are out of date. */
  private publish(roomId: string, state: RoomState): void {
    this.states.set(roomId, state);
    bindingsChanged();
  }

  private create(room: Room, deliveredIndex: number): RoomState {
    const { locks, store, logger, cluster } = this.kit;
    const cursor = cluster
      ? cluster.cursorFor(room.id, deliveredIndex) // only an owner's cursor is written
      : new DeliveryCursor(deliveredIndex, (index) => store.advanceDeliveryCursor(room.id, index), logger);
    return new RoomState(
      room,
      // Deliveries run after the lock is released and must not inherit its ownership.
      (start) => (locks.detached ? locks.detached(start) : start()),
      cursor,
      (error) => logger.error({ roomId: room.id, err: String(error) }, 'delivery lane job failed'),
    );
  }
}

/** Whether a room's timers start paused. */
export function isPaused(room: Room): boolean {
  return room.status === RoomStatus.PAUSED;
}
