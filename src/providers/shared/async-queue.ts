/**
 * A push-to-pull bridge: socket callbacks push, one consumer pulls with `for await`.
 * Providers use it to turn WebSocket events into the AsyncIterables of the voice contract.
 * `end()` lets queued items drain first; `fail()` drains them too, then throws; `clear()`
 * drops what is queued (barge-in: nothing already received may still be yielded).
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter?: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void };
  private ended = false;
  private error: unknown;
  private hasError = false;

  get done(): boolean {
    return this.ended;
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleWaiter();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.error = err;
    this.hasError = true;
    this.ended = true;
    this.settleWaiter();
  }

  clear(): void {
    this.items.length = 0;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.ended) return this.finish();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(): Promise<IteratorResult<T>> {
    if (this.hasError) {
      // Throw once; later calls see a plain end, like a finished generator.
      this.hasError = false;
      return Promise.reject(this.error);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private settleWaiter(): void {
    if (!this.waiter) return;
    const w = this.waiter;
    this.waiter = undefined;
    this.finish().then(w.resolve, w.reject);
  }
}
