/** A small seeded PRNG (mulberry32) and pickers, so every fuzz run can be replayed by seed. */
export class FuzzRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** Text mixing ASCII, unicode, control characters and lone surrogates. */
  text(maxLength: number): string {
    const n = this.int(0, maxLength);
    let s = '';
    for (let i = 0; i < n; i++) {
      const kind = this.int(0, 9);
      if (kind < 6) s += String.fromCharCode(this.int(0x20, 0x7e));
      else if (kind === 6) s += String.fromCharCode(this.int(0, 0x1f));
      else if (kind === 7) s += String.fromCodePoint(this.int(0xa0, 0x2fff));
      else if (kind === 8) s += String.fromCharCode(this.int(0xd800, 0xdfff));
      else s += this.pick(['%', '%%', '%E0%A4%A', '..', '/', '?', '#', '&', '=', '\\', '"', '{', '}']);
    }
    return s;
  }

  /** Any JSON value, nested a little. */
  json(depth = 0): unknown {
    const kind = this.int(0, depth > 2 ? 5 : 8);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, this.int(-1e6, 1e6)]);
      case 3:
      case 4:
        return this.text(20);
      case 5:
        return this.pick(['', 'lobby', 'text', 'join', 'message', 'nope', 'x'.repeat(300)]);
      case 6:
        return Array.from({ length: this.int(0, 4) }, () => this.json(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(0, 4); i > 0; i--)
          o[this.pick(['type', 'roomId', 'content', 'body', 'x', this.text(5)])] = this.json(depth + 1);
        return o;
      }
    }
  }

  /** A valid-looking message with one field replaced by something random (or none). */
  mutate(message: Record<string, unknown>): Record<string, unknown> {
    const copy: Record<string, unknown> = structuredClone(message);
    if (this.chance(0.3)) return copy;
    const keys = Object.keys(copy);
    const key = this.chance(0.8) && keys.length ? this.pick(keys) : this.text(6);
    if (this.chance(0.2)) delete copy[key];
    else copy[key] = this.json();
    return copy;
  }
}
