import { describe, expect, it } from 'vitest';
import { RingQueue } from '../../src/core/ring-queue.js';

describe('RingQueue', () => {
  it('keeps FIFO order across wrap-around and growth', () => {
    const q = new RingQueue<number>(4);
    const out: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the head wraps, then outgrow the ring twice.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < round + 2; i++) q.push(next++);
      out.push(q.shift()!);
    }
    expect(q.length).toBe(next - out.length);
    while (q.length > 0) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('peeks without taking, and is empty-safe', () => {
    const q = new RingQueue<string>();
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    q.push('a');
    q.push('b');
    expect(q.peek()).toBe('a');
    expect(q.length).toBe(2);
    expect(q.shift()).toBe('a');
    expect(q.peek()).toBe('b');
  });

  it('clear empties it and it is usable after', () => {
    const q = new RingQueue<number>(2);
    for (let i = 0; i < 5; i++) q.push(i);
    q.shift();
    q.clear();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    q.push(9);
    expect(q.shift()).toBe(9);
  });
});
