import { afterEach, describe, expect, it } from 'vitest';
import { advisoryKey } from '../../src/store/postgres/advisory-key.js';
import { PostgresStore, StoreUnavailableError } from '../../src/store/postgres/index.js';
import { adminQuery, DATABASE_URL, dropSchema, uniqueName } from '../cluster/services.js';
import { TcpProxy } from '../cluster/tcp-proxy.js';
import { eventually } from '../helpers/eventually.js';

/**
 * Room locks, leases and outages, against the machine's PostgreSQL through a TCP proxy the test
 * can cut (a database that went down: every connection reset, new ones refused).
 */

const target = new URL(DATABASE_URL);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxied(): Promise<{ proxy: TcpProxy; url: string }> {
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  cleanups.push(() => proxy.close());
  const url = new URL(DATABASE_URL);
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

function store(
  url: string,
  schema: string,
  extra: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {},
) {
  const s = new PostgresStore({ connectionString: url, schema, synchronousCommit: false, ...extra });
  cleanups.push(() => s.close());
  return s;
}

function room(id: string) {
  const at = new Date().toISOString();
  return { id, status: 'active' as const, metadata: {}, createdAt: at, updatedAt: at, eventCount: 0 };
}

/** Sessions waiting in PostgreSQL for the advisory room lock `key` of `schema`. */
async function waitersFor(schema: string, key: string): Promise<number> {
  const { rows } = await adminQuery(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
       AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [advisoryKey('room', schema, key)],
  );
  return rows[0].n;
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

describe('PostgresStore when the database goes away', () => {
  it('fails fast with StoreUnavailableError while the database is down, then recovers by itself', async () => {
    const schema = uniqueName('rk_down');
    cleanups.push(() => dropSchema(schema));
    const { proxy, url } = await proxied();
    const s = store(url, schema);
    await s.createRoom(room('r'));
    proxy.cut();
    for (const write of [() => s.createRoom(room('r2')), () => s.getRoom('r'), () => s.countEvents('r')]) {
      const started = performance.now();
      const error = await withTimeout(
        write().then(
          () => undefined,
          (e: unknown) => e,
        ),
        5000,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).retryable).toBe(true);
      expect(performance.now() - started).toBeLessThan(2000);
    }
    proxy.restore();
    // The pool dropped its dead connections and connects again: no restart of ours needed.
    await s.createRoom(room('r3'));
    expect((await s.listRooms()).map((r) => r.id)).toEqual(['r', 'r3']);
  });

  it('bounds a database that accepts connections but never answers (connect timeout)', async () => {
    const { createServer } = await import('node:net');
    const accepted = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => accepted.add(socket)); // accepts, never speaks
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as { port: number }).port;
    const s = store(`postgres://postgres@127.0.0.1:${port}/test`, 'rk_silent', { connectTimeoutMs: 300 });
    const started = performance.now();
    await expect(withTimeout(s.getRoom('x'), 5000)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('PostgreSQL advisory room locks', () => {
  it('serialise one room across processes and leave other rooms alone', async () => {
    const schema = uniqueName('rk_locks');
    const [a, b] = [store(DATABASE_URL, schema).coordination(), store(DATABASE_URL, schema).coordination()];
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = a.locks.withLock('room-1', async () => {
      order.push('a in');
      await held;
      order.push('a out');
    });
    await eventually(() => expect(order).toEqual(['a in']));
    const second = b.locks.withLock('room-1', async () => {
      order.push('b in');
    });
    // Another room is not blocked by room-1.
    await withTimeout(
      b.locks.withLock('room-2', async () => order.push('b room-2')),
      3000,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['a in', 'b room-2']);
    release();
    await withTimeout(Promise.all([first, second]), 3000);
    expect(order).toEqual(['a in', 'b room-2', 'a out', 'b in']);
  });

  it('is re-entrant within one call chain, and released when its holder dies', async () => {
    const schema = uniqueName('rk_locks');
    const { proxy, url } = await proxied();
    const dying = store(url, schema).coordination();
    const survivor = store(DATABASE_URL, schema).coordination();
    const nested = await dying.locks.withLock('r', () => dying.locks.withLock('r', async () => 'nested ok'));
    expect(nested).toBe('nested ok');
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    void dying.locks
      .withLock('r', async () => {
        entered();
        await new Promise(() => {}); // hangs, as a process frozen mid-section
      })
      .catch(() => {});
    await inside;
    // The holder's process "dies": its connections drop, and PostgreSQL frees the lock at once.
    proxy.cut();
    const started = performance.now();
    await withTimeout(
      survivor.locks.withLock('r', async () => {}),
      5000,
    );
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('hand a busy room from one holder to the next in the process, but let other processes in', async () => {
    const schema = uniqueName('rk_locks');
    const [a, b] = [store(DATABASE_URL, schema).coordination(), store(DATABASE_URL, schema).coordination()];
    const seen: string[] = [];
    let release!: () => void;
    const first = a.locks.withLock('busy', () => new Promise<void>((r) => (release = r)));
    // Forty callers of process A queue behind the first; process B asks once, after them.
    const queued = Array.from({ length: 40 }, (_, i) =>
      a.locks
        .withLock('busy', async () => {
          seen.push(a.locks.continued('busy') ? 'a+' : 'a');
          await new Promise((r) => setTimeout(r, 2));
        })
        .then(() => i),
    );
    await eventually(() => expect(release).toBeDefined()); // A holds the lock, forty wait behind it
    const other = b.locks.withLock('busy', async () => void seen.push('b'));
    // B waits in PostgreSQL before A's queue starts moving.
    await eventually(async () => expect(await waitersFor(schema, 'busy')).toBe(1));
    release();
    await withTimeout(Promise.all([first, other, ...queued]), 10_000);
    // Handed over (no unlock, no new lock, no re-read) most of the time...
    expect(seen.filter((s) => s === 'a+').length).toBeGreaterThan(20);
    // ...but B got in well before A's queue was empty.
    expect(seen.indexOf('b')).toBeGreaterThan(0);
    expect(seen.indexOf('b')).toBeLessThan(20);
  });
});

describe('PostgreSQL advisory room leases', () => {
  it('give a room to one process; the lease frees itself when that process dies', async () => {
    const schema = uniqueName('rk_leases');
    const { proxy, url } = await proxied();
    const a = store(url, schema).coordination().leases;
    const b = store(DATABASE_URL, schema).coordination().leases;
    const lost: string[][] = [];
    a.onLost((keys) => lost.push(keys));
    expect([...(await a.claim(['r1', 'r2']))].sort()).toEqual(['r1', 'r2']);
    expect([...(await b.claim(['r1', 'r2', 'r3']))]).toEqual(['r3']);
    expect(a.holds('r1') && !b.holds('r1')).toBe(true);
    // A claims again what it has: nothing changes (no second lock count on the session).
    expect([...(await a.claim(['r1']))]).toEqual(['r1']);
    await a.release(['r2']);
    expect([...(await b.claim(['r2']))]).toEqual(['r2']);

    proxy.cut(); // A's connection to the database is gone (its process died, or the network did)
    const deadline = Date.now() + 5000;
    while (!lost.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lost).toEqual([['r1']]);
    expect(a.holds('r1')).toBe(false);
    expect([...(await b.claim(['r1']))]).toEqual(['r1']);
    // A comes back: the lease connection reconnects by itself, and r1 is B's now.
    proxy.restore();
    expect([...(await a.claim(['r1', 'r4']))]).toEqual(['r4']);
  });
});
