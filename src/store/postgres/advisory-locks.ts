import type pg from 'pg';
import { InMemoryLockManager, type LockManager, type LockSection } from '../../core/locks.js';
import { advisoryKey } from './advisory-key.js';
import { storeErrorFrom } from './errors.js';

/**
 * The room lock across processes: a session-level PostgreSQL advisory lock per room, held on a
 * connection of its own pool for the whole locked section (hooks, index, commit).
 *
 * Within a process, callers queue on an in-process lock first, so a busy room takes one
 * database connection, not one per waiting message, and the re-entrancy of the in-process lock
 * (a hook calling back into its own room) is kept. A process that dies drops its connection and
 * PostgreSQL releases its locks at once: no expiry to wait for, no lock held by the dead. The
 * store's commit checks the index under the room row's lock anyway, so even a lock lost
 * mid-section (the database restarted) cannot produce a gap or a duplicate.
 */
export class AdvisoryLockManager implements LockManager {
  private readonly local = new InMemoryLockManager();
  /** Locks kept for the next caller of this process that already waits for the room. */
  private readonly handedOver = new Map<string, HeldLock>();
  /** Rooms whose current holder got the lock handed over (nobody else could write in between). */
  private readonly continuous = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.local.isHeld(key)) return fn();
    return this.local.withLock(key, () => this.locked(key, fn));
  }

  /** The pipeline's form (see LockManager.withSection): re-entrancy only for the hooks it runs. */
  withSection<T>(key: string, fn: (section: LockSection) => Promise<T>): Promise<T> {
    // Re-entered from a hook of the holder: the in-process lock runs it as nested, and so do we.
    if (this.local.isHeld(key)) return this.local.withSection(key, fn);
    return this.local.withSection(key, (section) => this.locked(key, () => fn(section)));
  }

  detached<T>(fn: () => T): T {
    return this.local.detached(fn);
  }

  /**
   * True while the current holder of `key` got the lock straight from the previous holder of
   * this process: no other process can have written to the room since (see SyncingLocks).
   */
  continued(key: string): boolean {
    return this.continuous.has(key);
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.handedOver.get(key);
    this.handedOver.delete(key);
    if (lock) this.continuous.add(key);
    else {
      this.continuous.delete(key);
      lock = await this.acquire(key);
    }
    try {
      return await fn();
    } finally {
      this.continuous.delete(key);
      // A busy room keeps its lock for the callers already queued here (up to MAX_STREAK in a
      // row, so other processes get their turn): two round trips and a connection less each.
      if (!lock.broken && lock.streak < MAX_STREAK && this.local.waiting(key) > 0) {
        lock.streak++;
        this.handedOver.set(key, lock);
      } else {
        await this.release(lock);
      }
    }
  }

  private async acquire(key: string): Promise<HeldLock> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeErrorFrom(error, 'room lock');
    }
    const lock: HeldLock = { client, key: advisoryKey('room', this.schema, key), streak: 0, broken: false };
    // A checked-out client whose connection dies emits 'error'; the pool only listens on idle ones.
    lock.onError = () => {
      lock.broken = true;
    };
    client.on('error', lock.onError);
    try {
      await client.query({ name: 'rk_lock', text: 'SELECT pg_advisory_lock($1)', values: [lock.key] });
    } catch (error) {
      lock.broken = true;
      this.done(lock, error);
      throw storeErrorFrom(error, 'room lock');
    }
    return lock;
  }

  private async release(lock: HeldLock): Promise<void> {
    if (lock.broken) return this.done(lock, new Error('connection lost'));
    await lock.client
      .query({ name: 'rk_unlock', text: 'SELECT pg_advisory_unlock($1)', values: [lock.key] })
      .then(
        () => this.done(lock),
        (error: unknown) => this.done(lock, error),
      );
  }

  /** Back to the pool; a broken connection (and with it the lock) is destroyed instead. */
  private done(lock: HeldLock, error?: unknown): void {
    if (lock.onError) lock.client.off('error', lock.onError);
    lock.client.release(error === undefined ? undefined : error instanceof Error ? error : true);
  }
}

/** Consecutive hand-overs of one room's lock inside a process before it is released anyway. */
const MAX_STREAK = 16;

interface HeldLock {
  client: pg.PoolClient;
  /** The advisory lock key (a 64-bit integer as text). */
  key: string;
  streak: number;
  broken: boolean;
  onError?: () => void;
}
