/** A FIFO of fixed-size feature vectors in one preallocated buffer. */
export class FeatureRing {
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    readonly dimensions: number,
  ) {
    this.data = new Float64Array(capacity * dimensions);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends a copy of `x`; the caller must have made room. */
  push(x: ArrayLike<number>): void {
    const at = ((this.head + this.count) % this.capacity) * this.dimensions;
    for (let d = 0; d < this.dimensions; d++) this.data[at + d] = x[d];
    this.count++;
  }

  /** The oldest vector (a view, valid until the next push), removed. */
  shift(): Float64Array {
    const at = this.head * this.dimensions;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return this.data.subarray(at, at + this.dimensions);
  }

  forEach(fn: (x: Float64Array) => void): void {
    for (let i = 0; i < this.count; i++) {
      const at = ((this.head + i) % this.capacity) * this.dimensions;
      fn(this.data.subarray(at, at + this.dimensions));
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
