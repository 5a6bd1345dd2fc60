import type { LockManager } from '../locks.js';

/**
 * Per-room ownership in a cluster. The process holding a room's lease does the room's
 * once-only work: intelligence channels (the AI answers each message once), channels that
 * reach the outside world (SMS, email, webhooks), inactivity timers, and the delivery cursor.
 * A lease must end by itself when its holder dies (a PostgreSQL session's advisory lock does,
 * the moment the connection drops), so another process can take the room over.
 */
export interface LeaseManager {
  /** Try to take these leases; resolves with the keys this process holds now (new or not). */
  claim(keys: readonly string[]): Promise<Set<string>>;
  /** Give leases up (a graceful shutdown hands rooms over at once). */
  release(keys: readonly string[]): Promise<void>;
  /** Whether this process holds the lease (as far as it knows). */
  holds(key: string): boolean;
  /** Leases were lost without a release (the connection to the coordinator dropped). */
  onLost(listener: (keys: string[]) => void): () => void;
  close(): Promise<void>;
}

/** What a kit needs from its surroundings to run in a cluster: room locks and room leases. */
export interface ClusterCoordination {
  readonly locks: LockManager;
  readonly leases: LeaseManager;
}

/**
 * A store that can coordinate processes (PostgresStore: advisory locks), and may list the rooms
 * with inactivity timers so their owners keep watching them after a takeover.
 */
export interface CoordinatingStore {
  coordination(): ClusterCoordination;
  listTimedRooms?(): Promise<string[]>;
}

/** Who holds which lease, shared by the InMemoryLeases of kits that form a cluster in one process. */
export type LeaseTable = Map<string, InMemoryLeases>;

/**
 * Leases in process memory: first come, first served, until released or `crash()`. Kits sharing
 * one LeaseTable (and an InMemoryPubSub, a lock manager and a store) are a cluster in one process.
 */
export class InMemoryLeases implements LeaseManager {
  private readonly listeners = new Set<(keys: string[]) => void>();

  constructor(private readonly table: LeaseTable = new Map()) {}

  async claim(keys: readonly string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (const key of keys) {
      if (!this.table.has(key)) this.table.set(key, this);
      if (this.table.get(key) === this) held.add(key);
    }
    return held;
  }

  async release(keys: readonly string[]): Promise<void> {
    for (const key of keys) if (this.table.get(key) === this) this.table.delete(key);
  }

  holds(key: string): boolean {
    return this.table.get(key) === this;
  }

  onLost(listener: (keys: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Test hook: lose every lease at once, as a dead coordinator connection would. */
  crash(): void {
    const lost = [...this.table].filter(([, owner]) => owner === this).map(([key]) => key);
    for (const key of lost) this.table.delete(key);
    for (const listener of this.listeners) listener(lost);
  }

  async close(): Promise<void> {
    await this.release([...this.table].filter(([, owner]) => owner === this).map(([key]) => key));
  }
}
