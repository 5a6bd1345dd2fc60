import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { Channel, type ChannelOutput, HookResult, HookTrigger, RoomKit } from '../../src/index.js';
import { SqliteCommitError, SqliteStore } from '../../src/store/sqlite/index.js';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';
import { event, room } from '../conformance/store-fixtures.js';

/**
 * Group commit (issue 16): events added in the same turn of the event loop share one
 * transaction. What callers may rely on: a promise resolves only once its event is committed;
 * a refused event fails alone; a failed transaction fails every caller of its batch with a
 * typed error and leaves no gap in any room.
 */

const dir = mkdtempSync(join(tmpdir(), 'roomkit-group-commit-'));
let files = 0;
const nextPath = () => join(dir, `store-${process.pid}-${files++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: Array<{ close(): unknown }> = [];
function track<T extends { close(): unknown }>(x: T): T {
  open.push(x);
  return x;
}
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('GroupCommit', () => {
  it('writes what is added in one turn as one batch, and what comes later as the next', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number>((items) => {
      batches.push([...items]);
      return items.map(() => undefined);
    });
    const first = [1, 2, 3].map((n) => group.add(n));
    expect(batches).toEqual([]); // nothing is written before the turn ends
    await Promise.all(first);
    const second = [4, 5].map((n) => group.add(n));
    await Promise.all(second);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('fails only the items the writer refused, and every item when the transaction throws', async () => {
    const refusal = new ValidationError('no odd numbers');
    let broken = false;
    const group = new GroupCommit<number>((items) => {
      if (broken) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      return items.map((n) => (n % 2 ? refusal : undefined));
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => group.add(n)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason).toBe(refusal);
    broken = true;
    const failed = await Promise.allSettled([6, 8].map((n) => group.add(n)));
    for (const f of failed) {
      const error = (f as PromiseRejectedResult).reason as SqliteCommitError;
      expect(error).toBeInstanceOf(SqliteCommitError);
      expect(error).toMatchObject({ code: 'store_commit_failed', batchSize: 2, retryable: false });
    }
  });

  it('splits a long queue into transactions of at most maxBatch items', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit<number>(
      (items) => {
        sizes.push(items.length);
        return items.map(() => undefined);
      },
      () => {},
      4,
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => group.add(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});

describe('SqliteStore group commit', () => {
  it('resolves addEvent only once its event is visible to another connection', async () => {
    const path = nextPath();
    const store = track(new SqliteStore({ path }));
    for (const id of ['a', 'b', 'c']) await store.createRoom(room(id));
    const reader = track(new Database(path, { readonly: true }));
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const adds = ['a', 'b', 'c'].map((id) => store.addEvent(event(id, 0)));
    expect(count()).toBe(0);
    await Promise.all(adds);
    expect(count()).toBe(3);
  });

  it('refuses a bad event alone; the rest of its batch commits', async () => {
    const store = track(new SqliteStore({ path: nextPath() }));
    await store.createRoom(room('r'));
    const settled = await Promise.allSettled([
      store.addEvent(event('r', 0, { idempotencyKey: 'k' })),
      store.addEvent(event('r', 7)), // not the next index
      store.addEvent(event('r', 1)),
      store.addEvent(event('r', 2, { idempotencyKey: 'k' })), // duplicate key, same batch
      store.addEvent(event('r', 2)),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect((settled[3] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect((await store.listEvents('r')).map((e) => e.index)).toEqual([0, 1, 2]);
    expect((await store.getRoom('r'))?.eventCount).toBe(3);
  });

  it('keeps write order: a write after a pending addEvent sees the event', async () => {
    const store = track(new SqliteStore({ path: nextPath() }));
    await store.createRoom(room('r'));
    const added = store.addEvent(event('r', 0));
    // Issued before the event's turn ended: the cursor may only point at a committed event.
    await store.advanceDeliveryCursor('r', 0);
    await added;
    expect(await store.getDeliveryCursor('r')).toBe(0);
  });

  it('a failed transaction fails every caller of its batch with SqliteCommitError, and leaves no gap in any room', async () => {
    const path = nextPath();
    const kit = track(new RoomKit({ store: new SqliteStore({ path, busyTimeoutMs: 50 }) }));
    const sink = new Sink('sink');
    kit.registerChannel(new Sink('user'));
    kit.registerChannel(sink);
    const rooms = ['r1', 'r2', 'r3'];
    for (const id of rooms) {
      await kit.createRoom({ roomId: id });
      await kit.attachChannel(id, 'user');
      await kit.attachChannel(id, 'sink');
    }
    // Another process holds the database's write lock past the busy timeout.
    const other = track(new Database(path));
    other.exec('BEGIN IMMEDIATE');
    const send = (roomId: string, body: string) =>
      kit.processInbound({ channelId: 'user', roomId, content: { type: 'text', body } });
    const failed = await Promise.allSettled(rooms.map((id) => send(id, 'lost')));
    for (const f of failed) {
      expect(f.status).toBe('rejected');
      const error = (f as PromiseRejectedResult).reason as SqliteCommitError;
      expect(error).toBeInstanceOf(SqliteCommitError);
      expect(error).toMatchObject({ code: 'store_commit_failed', retryable: true, batchSize: 3 });
    }
    other.exec('ROLLBACK');
    const next = await Promise.all(rooms.map((id) => send(id, 'kept')));
    // The failed batch took no index: each room goes on at 0, in the store and in the kit.
    expect(next.map((r) => r.event?.index)).toEqual([0, 0, 0]);
    for (const id of rooms) {
      expect((await kit.store.listEvents(id)).map((e) => (e.content as { body: string }).body)).toEqual([
        'kept',
      ]);
    }
    expect(sink.bodies).toEqual(['kept', 'kept', 'kept']);
  });
});

describe('several commits of one room', () => {
  it("commits a hook's injected events in the event's transaction: all or none of them", async () => {
    const path = nextPath();
    const kit = track(new RoomKit({ store: new SqliteStore({ path, busyTimeoutMs: 50 }) }));
    const sink = new Sink('sink');
    kit.registerChannel(new Sink('user'));
    kit.registerChannel(sink);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'user');
    await kit.attachChannel('r', 'sink');
    kit.hook(HookTrigger.BEFORE_BROADCAST, () =>
      HookResult.allow({
        injectedEvents: [
          { content: { type: 'text', body: 'note 1' }, targetChannelIds: ['sink'] },
          { content: { type: 'text', body: 'note 2' }, targetChannelIds: ['sink'] },
        ],
      }),
    );
    const send = (body: string) =>
      kit.processInbound({ channelId: 'user', roomId: 'r', content: { type: 'text', body } });
    const other = track(new Database(path));
    other.exec('BEGIN IMMEDIATE');
    const error = await send('lost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteCommitError);
    expect(error).toMatchObject({ batchSize: 3 });
    other.exec('ROLLBACK');
    const kept = await send('kept');
    expect(kept.event?.index).toBe(0);
    const events = await kit.store.listEvents('r');
    expect(events.map((e) => [e.index, (e.content as { body: string }).body])).toEqual([
      [0, 'kept'],
      [1, 'note 1'],
      [2, 'note 2'],
    ]);
    expect(sink.bodies).toEqual(['kept', 'note 1', 'note 2']);
  });
});

class Sink extends Channel {
  readonly channelType = 'webhook';
  readonly bodies: string[] = [];
  override async deliver(e: { content: { type: string; body?: string } }): Promise<ChannelOutput> {
    this.bodies.push(e.content.body ?? '');
    return {};
  }
}
