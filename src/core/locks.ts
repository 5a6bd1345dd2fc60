import { AsyncLocalStorage } from 'node:async_hooks';

/** Serialises work per key (a room). Implementations may be in-process or distributed. */
export interface LockManager {
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Run `fn` as if no lock were held (work started here must queue like anyone else). */
  detached?<T>(fn: () => T): T;
}

interface KeyState {
  locked: boolean;
  waiters: (() => void)[];
}

/** Proof of holding one key; dead once the lock is released. */
interface Ownership {
  key: string;
  active: boolean;
}

/**
 * In-process per-room mutex. Re-entrant per async call chain: a hook or tool handler that
 * calls back into the kit for the same room (from inside the locked section) runs at once
 * instead of deadlocking. Ownership travels with AsyncLocalStorage and dies on release,
 * so a timer or queue started inside the section and running later waits its turn.
 */
export class InMemoryLockManager implements LockManager {
  private readonly keys = new Map<string, KeyState>();
  private readonly held = new AsyncLocalStorage<readonly Ownership[]>();

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const owned = this.held.getStore();
    if (owned?.some((o) => o.key === key && o.active)) return fn();
    await this.acquire(key);
    const mine: Ownership = { key, active: true };
    try {
      return await this.held.run(owned ? [...owned.filter((o) => o.active), mine] : [mine], fn);
    } finally {
      mine.active = false;
      this.release(key);
    }
  }

  detached<T>(fn: () => T): T {
    return this.held.exit(fn);
  }

  /** Whether the current async context holds the lock of `key`. */
  isHeld(key: string): boolean {
    return this.held.getStore()?.some((o) => o.key === key && o.active) ?? false;
  }

  private acquire(key: string): Promise<void> | undefined {
    let state = this.keys.get(key);
    if (!state) {
      state = { locked: false, waiters: [] };
      this.keys.set(key, state);
    }
    if (!state.locked) {
      state.locked = true;
      return undefined;
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
