import { type LockManager, type LockSection, WHOLE_SECTION } from '../locks.js';

/** A lock manager that can say the lock came straight from this process's previous holder. */
interface ContinuousLocks extends LockManager {
  continued?(key: string): boolean;
}

/**
 * The room lock of a kit in a cluster: the shared lock, and once it is held, `sync` brings the
 * room's cached state up to date with the store (status, next index, and every event other
 * processes committed, fanned out here first), so the commit that follows takes the right index
 * and is delivered after everything before it. When the lock manager hands the lock from one
 * holder of this process to the next (AdvisoryLockManager does, for busy rooms), the room cannot
 * have changed under us and the read is skipped.
 */
export class SyncingLocks implements LockManager {
  constructor(
    private readonly inner: ContinuousLocks,
    private readonly sync: (key: string) => Promise<void>,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.inner.withLock(key, async () => {
      // Handed over by our own previous holder: nobody else wrote in between, nothing to read.
      if (!this.inner.continued?.(key)) await this.sync(key);
      return fn();
    });
  }

  withSection<T>(key: string, fn: (section: LockSection) => Promise<T>): Promise<T> {
    const synced = async (section: LockSection) => {
      if (!this.inner.continued?.(key)) await this.sync(key);
      return fn(section);
    };
    return this.inner.withSection
      ? this.inner.withSection(key, synced)
      : this.inner.withLock(key, () => synced(WHOLE_SECTION));
  }

  detached<T>(fn: () => T): T {
    return this.inner.detached ? this.inner.detached(fn) : fn();
  }
}
