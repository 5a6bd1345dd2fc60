import { AsyncLocalStorage } from 'node:async_hooks';

/** Serialises work per key (a room). Implementations may be in-process or distributed. */
export interface LockManager {
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

interface KeyState {
  locked: boolean;
  waiters: (() => void)[];
}

/**
 * In-process per-room mutex. Re-entrant per async call chain: a hook or tool handler that
 * calls back into the kit for the same room (from inside the locked section) runs at once
 * instead of deadlocking. Ownership travels with AsyncLocalStorage, so an unrelated
 * concurrent caller still waits its turn.
 */
export class InMemoryLockManager implements LockManager {
  private readonly keys = new Map<string, KeyState>();
  private readonly held = new AsyncLocalStorage<ReadonlySet<string>>();

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const owned = this.held.getStore();
    if (owned?.has(key)) return fn();
    await this.acquire(key);
    const next = new Set(owned);
    next.add(key);
    try {
      return await this.held.run(next, fn);
    } finally {
      this.release(key);
    }
  }

  /** Whether the current async context holds the lock of `key`. */
  isHeld(key: string): boolean {
    return this.held.getStore()?.has(key) ?? false;
  }

  private acquire(key: string): Promise<void> | void {
    let state = this.keys.get(key);
    if (!state) {
      state = { locked: false, waiters: [] };
      this.keys.set(key, state);
    }
    if (!state.locked) {
      state.locked = true;
      return;
    }
    const s = state;
    return new Promise<void>((resolve) => s.waiters.push(resolve));
  }

  private release(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    const next = state.waiters.shift();
    if (next) next();
    else this.keys.delete(key);
  }
}
