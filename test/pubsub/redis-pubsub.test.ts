import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { RedisPubSub } from '../../src/pubsub/redis/index.js';
import { PrivateRedis } from '../cluster/private-redis.js';
import { REDIS_URL, uniqueName } from '../cluster/services.js';

const open: Array<{ close(): Promise<void> } | PrivateRedis> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close());
});

function pubsub(url: string, prefix: string): RedisPubSub {
  const p = new RedisPubSub({ url, prefix });
  open.push(p);
  return p;
}

async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RedisPubSub', () => {
  it('carries messages between processes on a topic, in publish order, within one prefix', async () => {
    const prefix = uniqueName('rk');
    const a = pubsub(REDIS_URL, prefix);
    const b = pubsub(REDIS_URL, prefix);
    const other = pubsub(REDIS_URL, uniqueName('rk'));
    const got: string[] = [];
    const strays: string[] = [];
    await b.subscribe('room:1', (m) => got.push(m));
    await other.subscribe('room:1', (m) => strays.push(m));
    await until(() => a.connected, 5000, 'publisher connected');
    for (let i = 0; i < 200; i++) await a.publish('room:1', `m${i}`);
    await a.publish('room:2', 'elsewhere');
    await until(() => got.length === 200, 5000, '200 messages');
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(strays).toEqual([]); // another prefix is another cluster
  });

  it('stops delivering after unsubscribe', async () => {
    const prefix = uniqueName('rk');
    const a = pubsub(REDIS_URL, prefix);
    const got: string[] = [];
    const off = await a.subscribe('t', (m) => got.push(m));
    await until(() => a.connected);
    await a.publish('t', 'one');
    await until(() => got.length === 1);
    await off();
    await a.publish('t', 'two');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['one']);
  });

  it('refuses a prefix that is not a plain name', () => {
    expect(() => new RedisPubSub({ prefix: 'a b*' })).toThrow(ValidationError);
  });

  it('survives a Redis restart: reports down then up, subscriptions come back, publishing never throws', async () => {
    const redis = await new PrivateRedis().start();
    open.push(redis);
    const a = pubsub(redis.url, 'rk');
    const b = pubsub(redis.url, 'rk');
    const states: string[] = [];
    b.onConnectionChange((s) => states.push(s));
    const got: string[] = [];
    await b.subscribe('room', (m) => got.push(m));
    await until(() => a.connected && b.connected, 5000, 'connected');
    await a.publish('room', 'before');
    await until(() => got.length === 1);

    await redis.kill();
    await until(() => states.includes('down'), 5000, 'down');
    const started = performance.now();
    await a.publish('room', 'while down'); // dropped at once, not queued, not thrown
    expect(performance.now() - started).toBeLessThan(100);
    await redis.start();
    await until(() => states.at(-1) === 'up', 10_000, 'up again');
    await until(() => a.connected, 5000, 'publisher back');
    await a.publish('room', 'after');
    await until(() => got.length === 2, 5000, 'message after restart');
    expect(got).toEqual(['before', 'after']);
    expect(states).toEqual(['down', 'up']);
  });
});
