import { abortReason } from './abort.js';

/**
 * A small pool of costly, non-thread-safe resources (pocketsphinx decoders). Members are
 * created lazily on first demand and reused; each is leased to one user at a time and
 * waiters are served in arrival order, so concurrent streams queue instead of corrupting
 * a shared decoder.
 */
export class DecoderPool<T> {
  private readonly idle: T[] = [];
  private readonly waiters: {
    resolve: (item: T) => void;
    reject: (err: unknown) => void;
    signal?: AbortSignal;
    onAbort?: () => void;
  }[] = [];
  private created = 0;
  private closed = false;

  constructor(
    private readonly create: () => T,
    private readonly destroy: (item: T) => void,
    readonly size = 1,
  ) {
    if (!(size >= 1)) throw new RangeError('pool size must be at least 1');
  }

  /** Creates one member now if none exists (warmup), without leasing it. */
  prime(): void {
    if (this.created === 0 && !this.closed) {
      this.idle.push(this.create());
      this.created++;
    }
  }

  /** Resolves with a member for exclusive use; rejects at once if `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('decoder pool is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const item = this.idle.pop();
    if (item !== undefined) return Promise.resolve(item);
    if (this.created < this.size) {
      // Reserve the slot first; a throwing factory gives it back.
      this.created++;
      try {
        return Promise.resolve(this.create());
      } catch (err) {
        this.created--;
        return Promise.reject(err);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  release(item: T): void {
    if (this.closed) {
      this.destroy(item);
      return;
    }
    const next = this.waiters.shift();
    if (next) {
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve(item);
    } else {
      this.idle.push(item);
    }
  }

  /** Frees idle members now and leased ones when they come back; waiters are rejected. */
  close(): void {
    this.closed = true;
    for (const item of this.idle.splice(0)) this.destroy(item);
    for (const w of this.waiters.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(new Error('decoder pool is closed'));
    }
  }
}
