/**
 * One timer for every deadline in the process. Hooks, deliveries and model calls each get a
 * deadline, tens of thousands per second on a busy kit; a `setTimeout` (plus a racing promise)
 * per call would cost more than the work it guards. Here a deadline is one small object in a
 * bucket of a hashed wheel: adding and cancelling are O(1), and a single interval sweeps the
 * due buckets while any deadline is pending (it stops when none are, so an idle process exits).
 *
 * Precision is the wheel's resolution (10 ms): a deadline fires no earlier than asked and at
 * most one tick later, which is plenty for timeouts measured in seconds.
 */

export interface Deadline {
  /** Forget the deadline; its callback will not run. Safe to call more than once. */
  cancel(): void;
}

class Entry implements Deadline {
  constructor(
    readonly wheel: DeadlineWheel,
    readonly slot: number,
    readonly onExpire: () => void,
    readonly owner: object | undefined,
  ) {}

  cancel(): void {
    this.wheel.remove(this);
  }
}

export class DeadlineWheel {
  private readonly buckets = new Map<number, Set<Entry>>();
  private interval?: NodeJS.Timeout;
  /** Every slot up to this one has fired. */
  private swept = 0;
  private pending = 0;
  /** Owners that closed: their later deadlines are due at once. */
  private readonly closedOwners = new WeakSet<object>();

  constructor(
    private readonly resolutionMs = 10,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Run `onExpire` once `ms` have passed, unless cancelled first. `owner` (a kit) can expire all
   * of its deadlines at once when it closes (`expireOwned`).
   */
  add(ms: number, onExpire: () => void, owner?: object): Deadline {
    if (!this.interval) {
      this.swept = Math.floor(this.now() / this.resolutionMs);
      this.interval = setInterval(() => this.sweep(), this.resolutionMs);
    }
    const delay = owner !== undefined && this.closedOwners.has(owner) ? 0 : ms;
    const slot = Math.max(this.swept + 1, Math.ceil((this.now() + delay) / this.resolutionMs));
    let bucket = this.buckets.get(slot);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(slot, bucket);
    }
    const entry = new Entry(this, slot, onExpire, owner);
    bucket.add(entry);
    this.pending++;
    return entry;
  }

  /** How many deadlines are waiting (for tests and diagnostics). */
  get size(): number {
    return this.pending;
  }

  /** @internal */
  remove(entry: Entry): void {
    // An emptied bucket stays until the sweep passes its slot: deleting it here would make the
    // common add-then-cancel rhythm create and drop a Set (and a Map entry) per call.
    if (this.buckets.get(entry.slot)?.delete(entry)) this.pending--;
  }

  /**
   * Fire every deadline of `owner` now, and those it adds later at the next tick. A closing kit
   * calls this so nothing it started keeps waiting (or keeps the process alive) until a
   * deadline minutes away.
   */
  expireOwned(owner: object): void {
    this.closedOwners.add(owner);
    const due: Entry[] = [];
    for (const bucket of this.buckets.values()) {
      for (const entry of bucket) {
        if (entry.owner !== owner) continue;
        bucket.delete(entry);
        this.pending--;
        due.push(entry);
      }
    }
    for (const entry of due) fire(entry);
  }

  private sweep(): void {
    const due = Math.floor(this.now() / this.resolutionMs);
    for (let slot = this.swept + 1; slot <= due; slot++) {
      const bucket = this.buckets.get(slot);
      this.swept = slot;
      if (!bucket) continue;
      this.buckets.delete(slot);
      for (const entry of bucket) {
        this.pending--;
        fire(entry);
      }
    }
    // Stop ticking when idle; the next add starts again. Checked here, not in remove, so a
    // steady add/cancel rhythm does not create and clear an interval per call.
    if (this.pending === 0 && this.interval) {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
}

function fire(entry: Entry): void {
  try {
    entry.onExpire();
  } catch {
    // Callbacks are the framework's own (reject a promise, abort a signal); never let one stop
    // the others.
  }
}

/** The process-wide wheel. */
export const deadlines = new DeadlineWheel();

/**
 * `work` if it settles within `ms`, else a rejection with `onTimeout()`'s error (and `onTimeout`
 * may also abort whatever `work` is doing). `ms` undefined, 0 or Infinity means no deadline.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number | undefined,
  onTimeout: () => unknown,
  owner?: object,
): Promise<T> {
  if (!ms || ms === Number.POSITIVE_INFINITY) return work;
  return new Promise<T>((resolve, reject) => {
    const deadline = deadlines.add(ms, () => reject(onTimeout()), owner);
    work.then(
      (value) => {
        deadline.cancel();
        resolve(value);
      },
      (error) => {
        deadline.cancel();
        reject(error);
      },
    );
  });
}

/** Whether a value is a promise-like (so a sync hook's plain return needs no deadline at all). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `source`, failing with `onTimeout()`'s error when the next item takes longer than `ms` to come
 * (the wait for the first item included). The source is told to stop (`return()`), without
 * waiting for a source that no longer answers.
 */
export async function* idleTimeout<T>(
  source: AsyncIterable<T>,
  ms: number | undefined,
  onTimeout: () => unknown,
  owner?: object,
): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await withDeadline(it.next(), ms, onTimeout, owner);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) {
      try {
        Promise.resolve(it.return?.()).catch(() => {});
      } catch {
        // a source whose return() throws has nothing left to clean up
      }
    }
  }
}
