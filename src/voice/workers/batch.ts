/**
 * Items added before a deadline leave together: `send` gets them in order, once, when the
 * deadline passes (`'turn'`: the end of this turn of the event loop, by `setImmediate`; a
 * number: that many ms later) or at `flush()`. What a worker and the main process say to each
 * other crosses in batches: every IPC message costs a serialisation, a pipe write and a parse.
 */
export class Batch<T> {
  private items: T[] = [];
  private pending: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (items: T[]) => void,
    private readonly wait: 'turn' | number,
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (this.pending) return;
    if (this.wait === 'turn') this.pending = setImmediate(() => this.flush());
    else this.pending = setTimeout(() => this.flush(), this.wait).unref();
  }

  /** Sends what is queued now (before a call's end, or before the process exits). */
  flush(): void {
    if (this.pending) {
      if (this.wait === 'turn') clearImmediate(this.pending as NodeJS.Immediate);
      else clearTimeout(this.pending as NodeJS.Timeout);
      this.pending = undefined;
    }
    if (!this.items.length) return;
    const items = this.items;
    this.items = [];
    this.send(items);
  }
}
