import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { PostgresStore, SCHEMA_VERSION } from '../../src/store/postgres/index.js';
import { MIGRATIONS } from '../../src/store/postgres/schema.js';
import { queries } from '../../src/store/postgres/queries.js';
import { adminQuery, DATABASE_URL, dropSchema, uniqueName } from '../cluster/services.js';
import { runStoreConformance } from '../conformance/store.js';
import { event, room } from '../conformance/store-fixtures.js';

/**
 * Every store made here has its own schema, dropped when the store is done with. Commits do not
 * wait for the WAL flush (synchronousCommit: false): the conformance suite commits thousands of
 * events one by one, and a CI disk's fsync would make that minutes; what is checked is the same.
 */
const schemas = new Set<string>();
function makeStore(schema = uniqueName('rk_store')): PostgresStore {
  schemas.add(schema);
  return new PostgresStore({
    connectionString: DATABASE_URL,
    schema,
    maxConnections: 4,
    synchronousCommit: false,
  });
}
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

// One schema for the whole suite, emptied after each case (creating one costs ~300 ms of DDL).
const conformanceSchema = uniqueName('rk_conf');
runStoreConformance(
  'postgres',
  async () => makeStore(conformanceSchema),
  async (s) => {
    await s.close();
    // Bindings, participants and events go with their rooms (ON DELETE CASCADE); TRUNCATE is slower.
    await adminQuery(`SET synchronous_commit = off; DELETE FROM "${conformanceSchema}".rooms`);
  },
);

describe('PostgresStore', () => {
  const open: PostgresStore[] = [];
  const track = (store: PostgresStore) => {
    open.push(store);
    return store;
  };
  afterEach(async () => {
    const seen = new Set<string>();
    for (const store of open.splice(0)) {
      await store.close();
      seen.add(store.schema);
    }
    for (const schema of seen) await dropSchema(schema);
  });

  it('records versioned migrations, migrates once when processes start together, refuses a newer schema', async () => {
    const schema = uniqueName('rk_migrate');
    const stores = Array.from({ length: 4 }, () => track(makeStore(schema)));
    await Promise.all(stores.map((s) => s.init()));
    const { rows } = await adminQuery(`SELECT version FROM "${schema}".roomkit_schema ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const tables = await adminQuery(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'bindings',
      'events',
      'participants',
      'roomkit_schema',
      'rooms',
    ]);
    await adminQuery(`INSERT INTO "${schema}".roomkit_schema (version) VALUES ($1)`, [SCHEMA_VERSION + 1]);
    const newer = track(makeStore(schema));
    await expect(newer.getRoom('x')).rejects.toBeInstanceOf(ValidationError);
  });

  it('stores content, metadata, source and visibility as JSONB that SQL can query', async () => {
    const store = track(makeStore());
    await store.createRoom(room('r'));
    await store.addEvent(
      event('r', 0, { content: { type: 'text', body: 'find me' }, metadata: { tag: 'x' } }),
    );
    const types = await adminQuery(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'events' AND data_type = 'jsonb' ORDER BY column_name`,
      [store.schema],
    );
    expect(types.rows.map((r) => r.column_name)).toEqual([
      'content',
      'metadata',
      'source',
      'target_channel_ids',
      'visibility',
    ]);
    const found = await adminQuery(
      `SELECT idx FROM "${store.schema}".events WHERE content->>'body' = 'find me' AND metadata @> '{"tag":"x"}'`,
    );
    expect(found.rows).toEqual([{ idx: '0' }]);
  });

  it('round-trips what PostgreSQL cannot hold as is: NUL, lone surrogates, its own escape character', async () => {
    const store = track(makeStore());
    const odd = [
      'a\u0000b',
      '\uFDD0',
      '\uFDD00',
      '\uD800',
      'x\uDC00y',
      '😀\uD83D',
      '\\u0000',
      '\uFDD0\uFDD0u0041',
    ];
    const id = 'room\u0000\uD800';
    await store.createRoom({ ...room(id), metadata: { odd, [odd[0]!]: odd[3] } });
    await store.saveBinding({
      roomId: id,
      channelId: 'ws\u0000',
      channelType: 'websocket',
      category: 'transport',
      access: 'read_write',
      muted: false,
      visibility: [odd[4]!],
      metadata: {},
      attachedAt: new Date().toISOString(),
    });
    const e = event(id, 0, {
      id: 'evt\u0000',
      idempotencyKey: 'key\uD800',
      content: { type: 'text', body: odd.join('|') },
    });
    await store.addEvent(e);
    expect((await store.getRoom(id))?.metadata).toStrictEqual({ odd, [odd[0]!]: odd[3] });
    expect(await store.getEvent(id, 'evt\u0000')).toStrictEqual(e);
    expect(await store.findEventByIdempotencyKey(id, 'key\uD800')).toStrictEqual(e);
    expect(await store.findRoomIds({ channelId: 'ws\u0000' })).toEqual([id]);
    expect((await store.listBindings(id))[0]?.visibility).toEqual([odd[4]]);
  });

  it('assigns each index once when several processes append to one room at the same time', async () => {
    const schema = uniqueName('rk_race');
    // Four "processes": four pools, each appending by reading the count and committing the next index.
    const stores = Array.from({ length: 4 }, () => track(makeStore(schema)));
    await stores[0]!.createRoom(room('busy'));
    const committed: number[] = [];
    let refused = 0;
    await Promise.all(
      stores.map(async (store, p) => {
        for (let n = 0; n < 25; ) {
          const index = await store.countEvents('busy');
          try {
            await store.addEvent(event('busy', index, { id: `p${p}-${n}` }));
            committed.push(index);
            n++;
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            refused++;
          }
        }
      }),
    );
    const events = await stores[1]!.listEvents('busy');
    expect(events.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(committed.sort((a, b) => a - b)).toEqual(events.map((e) => e.index));
    expect(await stores[2]!.countEvents('busy')).toBe(100);
    expect(refused).toBeGreaterThan(0); // they did collide, and the losers were refused
  });

  it("commits one room's events in call order when the caller does not wait between them", async () => {
    const store = track(makeStore());
    await store.createRoom(room('r'));
    // What the pipeline does with an event and the events its hooks inject: all at once.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.addEvent(event('r', i))),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await store.listEvents('r')).map((e) => e.index)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    // One failing in the middle fails those after it (their index no longer follows): no gap.
    const broken = await Promise.allSettled([
      store.addEvent(event('r', 20)),
      store.addEvent(event('r', 21, { id: 'r-ev-0' })), // a duplicate id
      store.addEvent(event('r', 22)),
    ]);
    expect(broken.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await store.countEvents('r')).toBe(21);
  });

  it('keeps idempotency keys unique by constraint, even between processes racing on one key', async () => {
    const schema = uniqueName('rk_idem');
    const [a, b] = [track(makeStore(schema)), track(makeStore(schema))];
    await a.createRoom(room('r'));
    const results = await Promise.allSettled([
      a.addEvent(event('r', 0, { id: 'from-a', idempotencyKey: 'same' })),
      b.addEvent(event('r', 0, { id: 'from-b', idempotencyKey: 'same' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(b.addEvent(event('r', 1, { id: 'again', idempotencyKey: 'same' }))).rejects.toBeInstanceOf(
      ValidationError,
    );
    const { rows } = await adminQuery(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_idempotency'`,
      [schema],
    );
    expect(rows[0]?.indexdef).toMatch(/CREATE UNIQUE INDEX .* \(room_id, idempotency_key\) WHERE/);
    expect(await a.countEvents('r')).toBe(1);
  });

  it('reads "the last N events" with a backward scan of the primary key (EXPLAIN)', async () => {
    const store = track(makeStore());
    await store.init();
    const s = `"${store.schema}"`;
    // 20 rooms of 2,000 events each, then fresh statistics: the planner sees a real table.
    await adminQuery(`INSERT INTO ${s}.rooms (id, status, metadata, created_at, updated_at, event_count)
      SELECT 'r' || g, 'active', '{}', '2024', '2024', 2000 FROM generate_series(1, 20) g`);
    await adminQuery(`INSERT INTO ${s}.events (room_id, idx, id, type, source, content, status, chain_depth,
        visibility, created_at, metadata)
      SELECT 'r' || r, i, 'e' || r || '-' || i, 'message', '{}', '{"type":"text","body":"x"}', 'delivered', 0,
        '"all"', '2024', '{}' FROM generate_series(1, 20) r, generate_series(0, 1999) i`);
    await adminQuery(`ANALYZE ${s}.events`);
    const sql = queries(store.schema);
    const plan = async (text: string, values: unknown[]) =>
      (await adminQuery(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows[0]['QUERY PLAN'][0].Plan;
    const backward = await plan(sql.listEventsBackward, ['r7', -1, Number.MAX_SAFE_INTEGER, 10]);
    expect(backward['Node Type']).toBe('Limit');
    const scan = backward.Plans[0];
    expect(scan['Node Type']).toBe('Index Scan');
    expect(scan['Scan Direction']).toBe('Backward');
    expect(scan['Index Name']).toBe('events_pkey');
    expect(scan['Actual Rows']).toBe(10); // it stopped after the page, it did not read the room
    expect(JSON.stringify(backward)).not.toMatch(/"Sort"|Seq Scan/);
    const forward = await plan(sql.listEventsForward, ['r7', 1500, Number.MAX_SAFE_INTEGER, 10]);
    expect(forward.Plans[0]['Index Name']).toBe('events_pkey');
    expect(forward.Plans[0]['Actual Rows']).toBe(10);
    // And through the store: the newest ten, in ascending order.
    const last = await store.listEvents('r7', { direction: 'backward', limit: 10 });
    expect(last.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 1990 + i));
  });

  it('lists rooms with inactivity timers for cluster owners', async () => {
    const store = track(makeStore());
    await store.createRoom({ ...room('timed'), timers: { inactiveAfterMs: 1000 } });
    await store.createRoom(room('plain'));
    await store.createRoom({ ...room('closed'), status: 'closed', timers: { closeAfterMs: 5 } });
    expect(await store.listTimedRooms()).toEqual(['timed']);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(
      () => new PostgresStore({ connectionString: DATABASE_URL, schema: 'x"; DROP TABLE y; --' }),
    ).toThrow(ValidationError);
  });
});
