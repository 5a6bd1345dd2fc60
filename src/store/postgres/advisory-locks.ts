import type pg from 'pg';
import { InMemoryLockManager, type LockManager } from '../../core/locks.js';
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

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.local.isHeld(key)) return fn();
    return this.local.withLock(key, () => this.locked(key, fn));
  }

  detached<T>(fn: () => T): T {
    return this.local.detached(fn);
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = advisoryKey('room', this.schema, key);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeErrorFrom(error, 'room lock');
    }
    // A checked-out client whose connection dies emits 'error'; the pool only listens on idle ones.
    const onError = () => {};
    client.on('error', onError);
    const done = (error?: unknown) => {
      client.off('error', onError);
      // A broken connection (and with it the lock) is destroyed rather than pooled.
      client.release(error === undefined ? undefined : error instanceof Error ? error : true);
    };
    try {
      await client.query({ name: 'rk_lock', text: 'SELECT pg_advisory_lock($1)', values: [lockKey] });
    } catch (error) {
      done(error);
      throw storeErrorFrom(error, 'room lock');
    }
    try {
      return await fn();
    } finally {
      await client
        .query({ name: 'rk_unlock', text: 'SELECT pg_advisory_unlock($1)', values: [lockKey] })
        .then(
          () => done(),
          (error: unknown) => done(error),
        );
    }
  }
}
