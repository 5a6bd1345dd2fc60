import { AsyncLocalStorage } from 'node:async_hooks';
import { isThenable } from './deadlines.js';

/** Serialises work per key (a room). Implementations may be in-process or distributed. */
export interface LockManager {
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Run `fn` as if no lock were held (work started here must queue like anyone else). */
  detached?<T>(fn: () => T): T;
  /**
   * `withLock` for framework code that knows where it calls user code. `fn` runs without an
   * async context of its own and hands the user code it calls (hooks) to `section.asOwner`, so
   * that only those calls back into the kit for the same key are re-entrant. A manager without
   * it is used through `withLock`, where all of `fn` runs as the owner.
   */
  withSection?<T>(key: string, fn: (section: LockSection) => Promise<T>): Promise<T>;
}

/** The holder's side of a locked section (see `LockManager.withSection`). */
export interface LockSection {
  /** Run user code as the lock's owner: calls it makes back into the kit for the key do not wait. */
  asOwner<T>(fn: () => T): T;
}

/** For managers without sections: `withLock` already runs the whole section as the owner. */
export const WHOLE_SECTION: LockSection = { asOwner: (fn) => fn() };

/** Proof of holding one key; dead once the lock is released. */
interface Ownership {
  readonly key: string;
  readonly active: boolean;
}

const NO_OWNERS: readonly Ownership[] = [];

interface KeyState {
  held: boolean;
  waiters?: (() => void)[];
}

/** Below this many keys, free ones are kept for the next section instead of swept. */
const KEEP_KEYS = 1024;

/**
 * In-process per-room mutex. Re-entrant per async call chain: a hook or tool handler that
 * calls back into the kit for the same room (from inside the locked section) runs at once
 * instead of deadlocking. Ownership travels with AsyncLocalStorage and dies on release,
 * so a timer or queue started inside the section and running later waits its turn.
 *
 * AsyncLocalStorage is only switched on while user code runs as an owner: on Node 20 an
 * enabled storage runs a hook on every promise of the process, which is most of the cost of a
 * text message when nothing needs it. The pipeline's own work in a section (`withSection`)
 * runs outside it, and the storage is switched off again once no owner code is running.
 */
export class InMemoryLockManager implements LockManager {
  /** Per key; a free key's state stays for the next section until a sweep (see release). */
  private readonly keys = new Map<string, KeyState>();
  private releasesSinceSweep = 0;
  private readonly held = new AsyncLocalStorage<readonly Ownership[]>();
  /** Whether the storage is switched on (it tracks every promise while it is). */
  private tracking = false;
  /** Owner code running (or awaiting) right now; the storage goes off when none is. */
  private owners = 0;
  private readonly ownerDone = (): void => {
    // Off as soon as no owner code runs: a sync hook switches it on and off again around its
    // call (a few microseconds), far less than every promise of the message paying for it.
    if (--this.owners === 0 && this.tracking) {
      this.tracking = false;
      this.held.disable();
    }
  };

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.withSection(key, (section) => section.asOwner(fn));
  }

  withSection<T>(key: string, fn: (section: LockSection) => Promise<T>): Promise<T> {
    const owned = this.ownership();
    if (owned) {
      for (const o of owned) if (o.key === key && o.active) return fn(new Nested(this, owned));
    }
    let state = this.keys.get(key);
    if (!state) {
      state = { held: false };
      this.keys.set(key, state);
    }
    if (!state.held) {
      state.held = true;
      return this.enter(key, state, owned, fn);
    }
    const waiting = state;
    return new Promise<void>((resolve) => (waiting.waiters ??= []).push(resolve)).then(() =>
      this.enter(key, waiting, owned, fn),
    );
  }

  detached<T>(fn: () => T): T {
    // Not `held.exit`: it switches the storage off and on around `fn`, the costly part.
    return this.tracking ? this.held.run(NO_OWNERS, fn) : fn();
  }

  /** How many callers wait for `key` (a distributed lock may hand itself over to the next one). */
  waiting(key: string): number {
    return this.keys.get(key)?.waiters?.length ?? 0;
  }

  /** Whether the current async context holds the lock of `key`. */
  isHeld(key: string): boolean {
    return this.ownership()?.some((o) => o.key === key && o.active) ?? false;
  }

  /** @internal Run `fn` with `owners` as the async context's ownership. */
  runAsOwner<T>(owners: readonly Ownership[], fn: () => T): T {
    this.owners++;
    this.tracking = true;
    let result: T;
    try {
      result = this.held.run(owners, fn);
    } catch (error) {
      this.ownerDone();
      throw error;
    }
    if (!isThenable(result)) {
      this.ownerDone();
      return result;
    }
    const settled = Promise.resolve(result);
    settled.then(this.ownerDone, this.ownerDone);
    return settled as T;
  }

  private ownership(): readonly Ownership[] | undefined {
    return this.tracking ? this.held.getStore() : undefined;
  }

  private enter<T>(
    key: string,
    state: KeyState,
    outer: readonly Ownership[] | undefined,
    fn: (section: LockSection) => Promise<T>,
  ): Promise<T> {
    const section = new Section(this, key, state, outer);
    let work: Promise<T>;
    try {
      work = fn(section);
    } catch (error) {
      this.release(section);
      return Promise.reject(error);
    }
    return work.then(
      (value) => {
        this.release(section);
        return value;
      },
      (error: unknown) => {
        this.release(section);
        throw error;
      },
    );
  }

  private release(section: Section): void {
    section.active = false;
    const state = section.state;
    const next = state.waiters?.shift();
    if (next) {
      next(); // handed over: the key stays held
      return;
    }
    state.held = false;
    // Free keys are swept once as many releases happened as there are keys: O(1) per release,
    // and a kit that saw a million rooms does not keep a million entries.
    if (this.keys.size > KEEP_KEYS && ++this.releasesSinceSweep >= this.keys.size) {
      this.releasesSinceSweep = 0;
      for (const [key, s] of this.keys) if (!s.held) this.keys.delete(key);
    }
  }
}

/** A section this process entered: its ownership token dies when it is released. */
class Section implements LockSection, Ownership {
  active = true;
  private owners?: readonly Ownership[];

  constructor(
    private readonly manager: InMemoryLockManager,
    readonly key: string,
    readonly state: KeyState,
    private readonly outer: readonly Ownership[] | undefined,
  ) {}

  asOwner<T>(fn: () => T): T {
    // Locks held further out (a hook of room A posting into room B) stay held in here too.
    this.owners ??= this.outer ? [...this.outer.filter((o) => o.active), this] : [this];
    return this.manager.runAsOwner(this.owners, fn);
  }
}

/** A re-entrant call inside a section already held: its user code runs as the same owners. */
class Nested implements LockSection {
  constructor(
    private readonly manager: InMemoryLockManager,
    private readonly owners: readonly Ownership[],
  ) {}

  asOwner<T>(fn: () => T): T {
    return this.manager.runAsOwner(this.owners, fn);
  }
}
