import type { Channel } from '../channels/channel.js';
import { Access, type ChannelBinding, type Room } from '../models/index.js';
import { bindingsChanged } from './binding-changes.js';
import { DeliveryCursor } from './delivery-cursor.js';
import type { RoomRecovery } from './redrive.js';

/** A channel that may read the room's events, resolved once per binding change. */
export interface Reader {
  binding: ChannelBinding;
  channel: Channel;
}

/**
 * The kit's in-memory view of one room: the room record, its bindings, the next index and
 * the per-target delivery queues. The store stays the source of truth; this is its cache,
 * so the per-message path does no store reads.
 */
export class RoomState {
  nextIndex: number;
  readonly bindings = new Map<string, ChannelBinding>();
  /** Per target channel: deliveries run one at a time, in index order. */
  readonly queues = new Map<string, DeliveryQueue>();
  /** Participant ids known to be stored, so routing does not ask the store per message. */
  readonly participants = new Set<string>();
  /**
   * Up to which index every event is handled; starts where the store's cursor was. Replaced when
   * a process of a cluster takes the room over (fan-outs keep the cursor they started with).
   */
  cursor: DeliveryCursor;
  /** Set when loading the room re-drove undelivered events (after a restart). */
  resumed?: RoomRecovery;
  private readersCache?: Reader[];

  /**
   * @param spawn starts a queue's drain outside the room lock's context: deliveries run
   *   after the lock is released and must not inherit its ownership.
   * @param onJobError a lane job threw (a bug: jobs catch their own failures); logged, the lane goes on.
   */
  constructor(
    public room: Room,
    private readonly spawn: (start: () => void) => void = (start) => start(),
    cursor?: DeliveryCursor,
    private readonly onJobError: (error: unknown) => void = () => {},
  ) {
    this.nextIndex = room.eventCount;
    this.cursor = cursor ?? new DeliveryCursor(room.eventCount - 1, async () => {});
  }

  get id(): string {
    return this.room.id;
  }

  setBinding(binding: ChannelBinding): void {
    this.bindings.set(binding.channelId, binding);
    this.readersCache = undefined;
    bindingsChanged();
  }

  deleteBinding(channelId: string): void {
    this.bindings.delete(channelId);
    this.readersCache = undefined;
    bindingsChanged();
  }

  /** Bound channels whose access lets them read (read_write, read_only) and that are registered. */
  readers(lookup: (id: string) => Channel | undefined): Reader[] {
    if (this.readersCache) return this.readersCache;
    const readers: Reader[] = [];
    for (const binding of this.bindings.values()) {
      if (binding.access !== Access.READ_WRITE && binding.access !== Access.READ_ONLY) continue;
      const channel = lookup(binding.channelId);
      if (channel) readers.push({ binding, channel });
    }
    this.readersCache = readers;
    return readers;
  }

  /** Forget cached readers (a channel was registered or removed). */
  invalidateReaders(): void {
    this.readersCache = undefined;
  }

  queueFor(channelId: string): DeliveryQueue {
    let q = this.queues.get(channelId);
    if (!q) {
      q = new DeliveryQueue(this.spawn, this.onJobError);
      this.queues.set(channelId, q);
    }
    return q;
  }
}

/** A job of a delivery lane: it calls `done` exactly once, when it is over (now or later). */
export interface LaneJob {
  start(done: () => void): void;
  /** The job queued after this one (the lane's list is threaded through its jobs). */
  next?: LaneJob;
}

/**
 * A FIFO that runs one job at a time; jobs are enqueued in index order under the room lock.
 * A job that throws is reported and skipped: nothing a job does can stop the lane or reach the
 * process as an unhandled rejection. Jobs finish through a callback rather than a promise (one
 * fewer promise per delivery), and each job starts through `spawn`, outside any lock owner's
 * async context, whatever callback ended the one before.
 */
export class DeliveryQueue {
  private first?: LaneJob;
  private last?: LaneJob;
  private waiting = 0;
  private running = false;
  /** A job is in progress (started, its `done` not called yet). */
  private busy = false;
  /** Inside a job's `start`: a `done` now lets the pump loop go on instead of re-entering it. */
  private starting = false;

  constructor(
    private readonly spawn: (start: () => void) => void,
    private readonly onJobError: (error: unknown) => void = () => {},
  ) {}

  push(job: LaneJob): void {
    job.next = undefined;
    if (this.last) this.last.next = job;
    else this.first = job;
    this.last = job;
    this.waiting++;
    if (!this.running) {
      this.running = true;
      this.spawn(this.pump);
    }
  }

  /** Jobs queued and not started yet. */
  get size(): number {
    return this.waiting;
  }

  private readonly jobDone = (): void => {
    if (!this.busy) return; // a job that reports twice: the second time is ignored
    this.busy = false;
    if (!this.starting) this.spawn(this.pump);
  };

  private readonly pump = (): void => {
    for (let job = this.first; job; job = this.first) {
      this.first = job.next;
      if (!this.first) this.last = undefined;
      job.next = undefined;
      this.waiting--;
      this.busy = true;
      this.starting = true;
      try {
        job.start(this.jobDone);
      } catch (error) {
        this.busy = false;
        try {
          this.onJobError(error);
        } catch {
          // a reporter that throws must not stop the lane either
        }
      }
      this.starting = false;
      if (this.busy) return; // it goes on in the background; jobDone pumps again
    }
    this.running = false;
  };
}
