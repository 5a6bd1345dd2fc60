import { describe, expect, it } from 'vitest';
import { DeadlineWheel, deadlines, idleTimeout, withDeadline } from '../../src/core/deadlines.js';
import { DeliveryCursor } from '../../src/core/delivery-cursor.js';
import { redactSecrets } from '../../src/core/redact.js';
import { eventually } from '../helpers/eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DeadlineWheel', () => {
  it('fires no earlier than asked, once, and not at all when cancelled', async () => {
    const wheel = new DeadlineWheel(5);
    const fired: [string, number][] = [];
    const start = performance.now();
    wheel.add(30, () => fired.push(['a', performance.now() - start]));
    const b = wheel.add(30, () => fired.push(['b', performance.now() - start]));
    wheel.add(1, () => fired.push(['c', performance.now() - start]));
    b.cancel();
    b.cancel();
    expect(wheel.size).toBe(2);
    await eventually(() => expect(fired.length).toBeGreaterThanOrEqual(2));
    expect(fired.map(([n]) => n)).toEqual(['c', 'a']);
    expect(fired[1]![1]).toBeGreaterThanOrEqual(29);
    expect(wheel.size).toBe(0);
    // Once: nothing more fires in the next laps of the wheel.
    await sleep(30);
    expect(fired.map(([n]) => n)).toEqual(['c', 'a']);
  });

  it('a throwing callback does not stop the others', async () => {
    const wheel = new DeadlineWheel(5);
    const fired: string[] = [];
    wheel.add(10, () => {
      throw new Error('boom');
    });
    wheel.add(10, () => fired.push('second'));
    await eventually(() => expect(fired.length).toBeGreaterThan(0));
    expect(fired).toEqual(['second']);
  });

  it('thousands of add/cancel pairs leave nothing pending', () => {
    const before = deadlines.size;
    for (let i = 0; i < 10_000; i++) deadlines.add(30_000, () => {}).cancel();
    expect(deadlines.size).toBe(before);
  });
});

describe('withDeadline and idleTimeout', () => {
  it('withDeadline passes a result through and rejects with the timeout error when late', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(new Promise(() => {}), 20, () => new Error('late'))).rejects.toThrow('late');
    const none = Promise.resolve(1);
    expect(withDeadline(none, undefined, () => new Error())).toBe(none);
  });

  it('idleTimeout cuts a source that goes quiet and tells it to stop', async () => {
    let returned = false;
    async function* source() {
      try {
        yield 1;
        yield 2;
        await new Promise(() => {});
      } finally {
        returned = true;
      }
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const n of idleTimeout(source(), 40, () => new Error('quiet'))) got.push(n);
      })(),
    ).rejects.toThrow('quiet');
    expect(got).toEqual([1, 2]);
    // The generator is stuck in an await: return() is queued behind it, never awaited by us.
    expect(returned).toBe(false);
    async function* finite() {
      yield 'a';
      yield 'b';
    }
    const all: string[] = [];
    for await (const s of idleTimeout(finite(), 40, () => new Error('x'))) all.push(s);
    expect(all).toEqual(['a', 'b']);
  });
});

describe('DeliveryCursor', () => {
  it('advances over contiguous indices only and writes the store behind, coalesced', async () => {
    const writes: number[] = [];
    const cursor = new DeliveryCursor(-1, async (i) => {
      writes.push(i);
    });
    cursor.complete(1);
    cursor.complete(2);
    expect(cursor.index).toBe(-1);
    cursor.complete(0);
    expect(cursor.index).toBe(2);
    cursor.complete(2); // a repeat changes nothing
    cursor.complete(4);
    cursor.complete(3);
    expect(cursor.index).toBe(4);
    await eventually(() => expect(writes.length).toBeGreaterThan(0));
    expect(writes).toEqual([4]);
    await cursor.flush();
    expect(writes).toEqual([4]);
  });

  it('in any completion order, sits at the end of the contiguous prefix, repeats included', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(random() * 12);
      // A shuffled order with some indices completed twice.
      const order = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
      for (let k = 0; k < 3; k++) order.splice(Math.floor(random() * order.length), 0, order[0]!);
      const cursor = new DeliveryCursor(-1, async () => {});
      const done = new Set<number>();
      for (const index of order) {
        cursor.complete(index);
        done.add(index);
        let prefix = -1;
        while (done.has(prefix + 1)) prefix++;
        expect(cursor.index).toBe(prefix);
      }
      expect(cursor.index).toBe(n - 1);
      await cursor.close();
    }
  });

  it('a failed write is retried by the next flush', async () => {
    let fail = true;
    const writes: number[] = [];
    const cursor = new DeliveryCursor(-1, async (i) => {
      if (fail) throw new Error('store down');
      writes.push(i);
    });
    cursor.complete(0);
    await cursor.flush();
    expect(writes).toEqual([]);
    fail = false;
    await cursor.flush();
    expect(writes).toEqual([0]);
  });
});

describe('redactSecrets', () => {
  it('removes keys, tokens and the vendors masked echoes, keeps the rest', () => {
    const cases: [string, string][] = [
      [
        'openai: Incorrect API key provided: sk-pro***********wxyz. See the docs.',
        'openai: Incorrect API key provided: [redacted] See the docs.',
      ],
      [
        'GET https://x.example/v1/models?key=AIzaSyD-abcdefghijklmnopqrstuvw&alt=sse',
        'GET https://x.example/v1/models?key=[redacted]&alt=sse',
      ],
      ['authorization: Bearer abc.def.ghi-123456', 'authorization: Bearer [redacted]'],
      ['token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig', 'token: [redacted]'],
      ['xai: bad key xai-AbCdEf123456', 'xai: bad key [redacted]'],
      [
        'anthropic: authentication failed (check the API key)',
        'anthropic: authentication failed (check the API key)',
      ],
    ];
    for (const [input, output] of cases) expect(redactSecrets(input)).toBe(output);
    expect(redactSecrets('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
