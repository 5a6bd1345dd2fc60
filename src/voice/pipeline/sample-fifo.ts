/**
 * A growable first-in first-out queue of int16 samples. Linear storage compacted on demand:
 * simpler than a ring and just as cheap at audio frame sizes.
 */
export class SampleFifo {
  private buffer: Int16Array;
  private start = 0;
  private end = 0;

  constructor(initialCapacity = 4096) {
    this.buffer = new Int16Array(initialCapacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  push(samples: Int16Array, from = 0, to = samples.length): void {
    const n = to - from;
    this.reserve(n);
    const buf = this.buffer;
    let w = this.end;
    for (let i = from; i < to; i++) buf[w++] = samples[i];
    this.end = w;
  }

  pushZeros(n: number): void {
    this.reserve(n);
    this.buffer.fill(0, this.end, this.end + n);
    this.end += n;
  }

  /** Moves `n` samples into `out` at `offset`; missing samples are written as zeros at the end. */
  shiftInto(out: Int16Array, offset: number, n: number): number {
    const take = Math.min(n, this.length);
    const buf = this.buffer;
    let r = this.start;
    for (let i = 0; i < take; i++) out[offset + i] = buf[r++];
    if (take < n) out.fill(0, offset + take, offset + n);
    this.start = r;
    if (this.start === this.end) this.start = this.end = 0;
    return take;
  }

  /** Drops the oldest samples so at most `max` remain. */
  trimTo(max: number): void {
    if (this.length > max) this.start = this.end - max;
  }

  clear(): void {
    this.start = this.end = 0;
  }

  private reserve(n: number): void {
    if (this.end + n <= this.buffer.length) return;
    const live = this.length;
    if (live + n <= this.buffer.length) {
      this.buffer.copyWithin(0, this.start, this.end);
    } else {
      const grown = new Int16Array(Math.max(this.buffer.length * 2, live + n));
      grown.set(this.buffer.subarray(this.start, this.end));
      this.buffer = grown;
    }
    this.start = 0;
    this.end = live;
  }
}
