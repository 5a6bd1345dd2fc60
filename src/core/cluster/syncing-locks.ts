import type { LockManager } from '../locks.js';

/**
 * The room lock of a kit in a cluster: the shared lock, and once it is held, `sync` brings the
 * room's cached state up to date with the store (status, next index, and every event other
 * processes committed, fanned out here first), so the commit that follows takes the right index
 * and is delivered after everything before it.
 */
export class SyncingLocks implements LockManager {
  constructor(
    private readonly inner: LockManager,
    private readonly sync: (key: string) => Promise<void>,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.inner.withLock(key, async () => {
      await this.sync(key);
      return fn();
    });
  }

  detached<T>(fn: () => T): T {
    return this.inner.detached ? this.inner.detached(fn) : fn();
  }
}
