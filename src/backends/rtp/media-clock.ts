import type { PacerClock } from '../../voice/pacer.js';

interface Entry {
  fn: () => void;
  cancelled: boolean;
}

/**
 * A PacerClock for many calls: timers due in the same millisecond share one Node timer.
 * Hundreds of calls each sending a packet every 20 ms would otherwise arm tens of thousands
 * of timers a second; here there is at most one wake-up per millisecond, and every packet due
 * then goes out in it. Time is performance.now(), as the system clock's.
 */
export class MediaClock implements PacerClock {
  private readonly buckets = new Map<number, Entry[]>();
  private keys: number[] = []; // sorted due milliseconds
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  now(): number {
    return performance.now();
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const entry: Entry = { fn, cancelled: false };
    const due = Math.ceil(this.now() + Math.max(0, delayMs));
    let bucket = this.buckets.get(due);
    if (!bucket) {
      bucket = [];
      this.buckets.set(due, bucket);
      this.insertKey(due);
    }
    bucket.push(entry);
    if (due < this.armedFor) this.arm(due);
    return entry;
  }

  clearTimer(handle: unknown): void {
    if (handle) (handle as Entry).cancelled = true;
  }

  /** Timers waiting (cancelled ones included until their millisecond passes). */
  get pending(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }

  private insertKey(due: number): void {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < due) lo = mid + 1;
      else hi = mid;
    }
    keys.splice(lo, 0, due);
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - this.now()));
    // Media timers never keep a process alive on their own: sockets and sessions do.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    // Node may wake a little early: anything due within half a millisecond runs now.
    const now = this.now() + 0.5;
    while (this.keys.length > 0 && this.keys[0] <= now) {
      const due = this.keys.shift()!;
      const bucket = this.buckets.get(due)!;
      this.buckets.delete(due);
      for (const entry of bucket) {
        if (entry.cancelled) continue;
        try {
          entry.fn();
        } catch {
          // A failing callback must not stop the others due with it (callers report their own).
        }
      }
    }
    if (this.keys.length > 0) this.arm(this.keys[0]);
  }
}

/** One clock for every call in the process. */
export const sharedMediaClock = new MediaClock();
