/**
 * A FIFO on a ring that keeps its storage: once grown to its working size, `push`, `shift` and
 * `clear` allocate nothing. A JS array used as a queue does: `shift` trims its backing store
 * from the front and `length = 0` drops it, so the next `push` copies into a new one. A voice
 * reply's pacer queues a few chunks at a time; as an array that was a fresh backing store
 * (about 300 bytes) per reply, alive as long as the reply played.
 */
export class RingQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  /** `capacity` is rounded up to a power of two; the ring doubles when full. */
  constructor(capacity = 8) {
    let size = 2;
    while (size < capacity) size *= 2;
    this.items = new Array<T | undefined>(size).fill(undefined);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count > 0 ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it go
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  clear(): void {
    while (this.count > 0) this.shift();
    this.head = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
