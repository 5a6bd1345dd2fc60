import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import type { Room, RoomEvent } from '../../src/models/index.js';
import { SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { LIST_EVENTS_BACKWARD_SQL, LIST_EVENTS_FORWARD_SQL } from '../../src/store/sqlite/queries.js';
import { runStoreConformance } from '../conformance/store.js';

const dir = mkdtempSync(join(tmpdir(), 'roomkit-sqlite-'));
let files = 0;
const nextPath = () => join(dir, `store-${process.pid}-${files++}.db`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

runStoreConformance('sqlite (file)', async () => new SqliteStore({ path: nextPath() }));
runStoreConformance('sqlite (:memory:)', async () => new SqliteStore({ path: ':memory:' }));

function room(id: string): Room {
  const at = new Date().toISOString();
  return { id, status: 'active', metadata: {}, createdAt: at, updatedAt: at, eventCount: 0 };
}

function event(roomId: string, index: number): RoomEvent {
  return {
    id: `${roomId}-${index}`,
    roomId,
    type: 'message',
    source: { channelId: 'ws', channelType: 'websocket', participantId: 'u1' },
    content: { type: 'text', body: `body ${index}` },
    status: 'delivered',
    index,
    chainDepth: 0,
    visibility: 'all',
    createdAt: new Date().toISOString(),
    metadata: { n: index },
  };
}

describe('SqliteStore on a file', () => {
  const open: Array<{ close(): unknown }> = [];
  const track = <T extends { close(): unknown }>(x: T): T => {
    open.push(x);
    return x;
  };
  afterEach(async () => {
    for (const x of open.splice(0)) await x.close();
  });

  it('records the schema version and refuses a file from a newer schema', async () => {
    const path = nextPath();
    await track(new SqliteStore({ path })).close();
    const raw = track(new Database(path));
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = raw
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(['bindings', 'events', 'participants', 'rooms']);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => new SqliteStore({ path })).toThrow(ValidationError);
  });

  it('keeps rooms, bindings, participants and events across a reopen, and continues indices', async () => {
    const path = nextPath();
    const first = track(new SqliteStore({ path }));
    await first.createRoom(room('r'));
    await first.saveBinding({
      roomId: 'r',
      channelId: 'ws',
      channelType: 'websocket',
      category: 'transport',
      access: 'read_write',
      muted: true,
      visibility: ['ai'],
      metadata: {},
      attachedAt: new Date().toISOString(),
    });
    await first.saveParticipant({
      id: 'u1',
      roomId: 'r',
      role: 'member',
      identified: true,
      metadata: { a: 1 },
      joinedAt: new Date().toISOString(),
    });
    const events = [event('r', 0), event('r', 1), event('r', 2)];
    for (const e of events) await first.addEvent(e);
    await first.close();

    const second = track(new SqliteStore({ path }));
    expect(await second.getRoom('r')).toMatchObject({ eventCount: 3, lastActivityAt: events[2].createdAt });
    expect(await second.listEvents('r')).toStrictEqual(events);
    expect((await second.listBindings('r'))[0]).toMatchObject({ muted: true, visibility: ['ai'] });
    expect(await second.getParticipant('r', 'u1')).toMatchObject({ identified: true, metadata: { a: 1 } });
    await expect(second.addEvent(event('r', 2))).rejects.toBeInstanceOf(ValidationError);
    await second.addEvent(event('r', 3));
    expect(await second.countEvents('r')).toBe(4);
  });

  it('upgrades a v1 file in place: the delivery cursor starts caught up, bindings gain a deadline', async () => {
    const path = nextPath();
    const v1 = track(new Database(path));
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    const at = new Date().toISOString();
    v1.prepare(`INSERT INTO rooms (id, status, metadata, created_at, updated_at, event_count)
      VALUES ('old', 'active', '{}', ?, ?, 2), ('fresh', 'active', '{}', ?, ?, 0)`).run(at, at, at, at);
    v1.close();
    const store = track(new SqliteStore({ path }));
    // Events written by v1 were delivered as they went: an upgrade re-delivers nothing.
    expect(await store.getDeliveryCursor('old')).toBe(1);
    expect(await store.getDeliveryCursor('fresh')).toBe(-1);
    expect(await store.listUndeliveredRooms()).toEqual([]);
    const b = {
      roomId: 'old',
      channelId: 'ws',
      channelType: 'websocket',
      category: 'transport' as const,
      access: 'read_write' as const,
      muted: false,
      visibility: 'all',
      metadata: {},
      attachedAt: at,
    };
    await store.saveBinding({ ...b, deliveryTimeoutMs: 1500 });
    expect((await store.listBindings('old'))[0]).toStrictEqual({ ...b, deliveryTimeoutMs: 1500 });
    await store.saveBinding(b);
    expect((await store.listBindings('old'))[0]).toStrictEqual(b);
  });

  it('runs in WAL mode', async () => {
    const path = nextPath();
    const store = track(new SqliteStore({ path }));
    await store.createRoom(room('r'));
    await store.addEvent(event('r', 0));
    const raw = track(new Database(path, { readonly: true }));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(existsSync(`${path}-wal`)).toBe(true);
  });

  it('rejects an unknown synchronous mode and a non-integer limit', async () => {
    expect(() => new SqliteStore({ path: ':memory:', synchronous: 'sometimes' as never })).toThrow(
      ValidationError,
    );
    const store = track(new SqliteStore({ path: ':memory:', synchronous: 'full' }));
    await store.createRoom(room('r'));
    await expect(store.listEvents('r', { limit: 2.5 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.listRooms({ offset: -1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('a second connection sees committed data and appends after it', async () => {
    const path = nextPath();
    const a = track(new SqliteStore({ path }));
    const b = track(new SqliteStore({ path }));
    await a.createRoom(room('shared'));
    await a.addEvent(event('shared', 0));
    expect(await b.getRoom('shared')).toMatchObject({ eventCount: 1 });
    expect((await b.listEvents('shared')).map((e) => e.id)).toEqual(['shared-0']);
    await b.addEvent(event('shared', 1));
    // A stale writer cannot reuse the index the other connection took.
    await expect(a.addEvent({ ...event('shared', 1), id: 'stale' })).rejects.toBeInstanceOf(ValidationError);
    await a.addEvent(event('shared', 2));
    expect((await b.listEvents('shared')).map((e) => e.index)).toEqual([0, 1, 2]);
    expect(await a.countEvents('shared')).toBe(3);
  });

  it('reads timeline pages through the (room_id, idx) key, never scanning or sorting the room', async () => {
    const path = nextPath();
    await track(new SqliteStore({ path })).close();
    const raw = track(new Database(path, { readonly: true }));
    const indexes = raw.pragma('index_list(events)') as Array<{ name: string; origin: string }>;
    const primaryKey = indexes.find((i) => i.origin === 'pk')?.name;
    expect(primaryKey).toMatch(/^sqlite_autoindex_events_\d+$/);
    for (const sql of [LIST_EVENTS_BACKWARD_SQL, LIST_EVENTS_FORWARD_SQL]) {
      const plan = raw
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all('r', -1, 100, 10)
        .map((r) => (r as { detail: string }).detail);
      expect(plan).toHaveLength(1);
      expect(plan[0]).toBe(`SEARCH events USING INDEX ${primaryKey} (room_id=? AND idx>? AND idx<?)`);
      expect(plan.join('\n')).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });
});
