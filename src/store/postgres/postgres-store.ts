import pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import type { ChannelBinding, Participant, Room, RoomEvent } from '../../models/index.js';
import type { ConversationStore, ListEventsQuery, ListRoomsQuery } from '../conversation-store.js';
import {
  checkDeliveryCursor,
  storableBinding,
  storableEvent,
  storableParticipant,
  storableRoom,
} from '../storable.js';
import { type PostgresStoreOptions, poolConfig, splitSchema, statementName } from './connection.js';
import { PostgresCoordination } from './coordination.js';
import { StoreUnavailableError, storeErrorFrom } from './errors.js';
import { type Queries, queries } from './queries.js';
import {
  type BindingRow,
  bindingFromRow,
  bindingParams,
  type EventRow,
  eventFromRow,
  eventParams,
  type ParticipantRow,
  participantFromRow,
  participantParams,
  type RoomRow,
  roomFromRow,
  roomParams,
} from './rows.js';
import { migrate } from './schema.js';
import { decodeText, encodeText } from './text-codec.js';

const DEFAULT_SCHEMA = 'roomkit';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * A ConversationStore on PostgreSQL, safe to share between any number of processes: the per-room
 * index is assigned under the room row's lock inside the commit statement (no gaps, no
 * duplicates, whoever commits), idempotency keys are a unique constraint, and timeline pages walk
 * the (room_id, idx) primary key. Content and metadata are JSONB.
 *
 * When the database is down, every call fails fast with StoreUnavailableError (retryable); the
 * pool reconnects by itself once it is back. `coordination()` gives the room locks and leases a
 * cluster of kits needs (PostgreSQL advisory locks; see docs/cluster.md).
 */
export class PostgresStore implements ConversationStore {
  readonly name = 'postgres';
  readonly schema: string;
  /** @internal The pool, for the coordination helpers and tests. */
  readonly pool: pg.Pool;
  private readonly sql: Queries;
  private ready?: Promise<void>;
  /** Per room, the last commit this store was asked for (see addEvent). */
  private readonly commitsInFlight = new Map<string, Promise<void>>();
  private closed = false;
  private coordinationHandle?: PostgresCoordination;

  readonly options: PostgresStoreOptions;

  constructor(options: PostgresStoreOptions = {}) {
    const { connectionString, schema } = splitSchema(options.connectionString);
    this.options = { ...options, connectionString };
    this.schema = options.schema ?? schema ?? DEFAULT_SCHEMA;
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new ValidationError(`schema must be a plain SQL identifier (letters, digits, _): ${this.schema}`);
    }
    this.sql = queries(this.schema);
    this.pool = new pg.Pool(poolConfig(this.options, options.maxConnections ?? 10));
    // An idle client whose connection dies (database restart) emits 'error' on the pool; the pool
    // drops it and connects anew on the next query. Without a listener it would crash the process.
    this.pool.on('error', () => {});
  }

  /** Create the schema and run pending migrations now (otherwise the first call does it). */
  init(): Promise<void> {
    this.ready ??= this.migrate();
    return this.ready;
  }

  /**
   * Room locks and leases on this database, for a kit in a cluster (`new RoomKit({ store, pubsub })`
   * takes them from here). One per store: both kits of one store share it.
   */
  coordination(): PostgresCoordination {
    this.coordinationHandle ??= new PostgresCoordination(this.options, this.schema, (max) =>
      poolConfig(this.options, max),
    );
    return this.coordinationHandle;
  }

  async createRoom(room: Room): Promise<void> {
    const params = roomParams(storableRoom(room));
    await this.run('createRoom', this.sql.insertRoom, params, (error) =>
      (error as { code?: string }).code === '23505'
        ? new ValidationError(`room already exists: ${room.id}`, error)
        : undefined,
    );
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const rows = await this.rows<RoomRow>('getRoom', this.sql.getRoom, [encodeText(roomId)]);
    return rows[0] ? roomFromRow(rows[0]) : undefined;
  }

  async updateRoom(room: Room): Promise<void> {
    const params = roomParams(storableRoom(room)).slice(0, 8);
    const result = await this.run('updateRoom', this.sql.updateRoom, params);
    if (result.rowCount === 0) throw new ValidationError(`room not found: ${room.id}`);
  }

  async deleteRoom(roomId: string): Promise<void> {
    // Bindings, participants and events go with it (ON DELETE CASCADE), in the same statement.
    await this.run('deleteRoom', this.sql.deleteRoom, [encodeText(roomId)]);
  }

  async listRooms(query: ListRoomsQuery = {}): Promise<Room[]> {
    const byStatus = query.status !== undefined;
    const byOrg = query.organizationId !== undefined;
    const params: unknown[] = [
      query.limit === undefined ? null : count('limit', query.limit),
      count('offset', query.offset ?? 0),
    ];
    if (byStatus) params.push(encodeText(query.status!));
    if (byOrg) params.push(encodeText(query.organizationId!));
    const rows = await this.rows<RoomRow>('listRooms', this.sql.listRooms(byStatus, byOrg), params);
    return rows.map(roomFromRow);
  }

  async saveBinding(binding: ChannelBinding): Promise<void> {
    const params = bindingParams(storableBinding(binding));
    await this.run('saveBinding', this.sql.upsertBinding, params);
  }

  async removeBinding(roomId: string, channelId: string): Promise<void> {
    await this.run('removeBinding', this.sql.deleteBinding, [encodeText(roomId), encodeText(channelId)]);
  }

  async listBindings(roomId: string): Promise<ChannelBinding[]> {
    const rows = await this.rows<BindingRow>('listBindings', this.sql.listBindings, [encodeText(roomId)]);
    return rows.map(bindingFromRow);
  }

  async findRoomIds(query: { channelId: string; participantId?: string }): Promise<string[]> {
    const rows =
      query.participantId === undefined
        ? await this.rows<{ id: string }>('findRoomIds', this.sql.findRoomIds, [encodeText(query.channelId)])
        : await this.rows<{ id: string }>('findRoomIds', this.sql.findRoomIdsWithParticipant, [
            encodeText(query.channelId),
            encodeText(query.participantId),
          ]);
    return rows.map((r) => decodeText(r.id));
  }

  async saveParticipant(participant: Participant): Promise<void> {
    const params = participantParams(storableParticipant(participant));
    await this.run('saveParticipant', this.sql.upsertParticipant, params);
  }

  async getParticipant(roomId: string, participantId: string): Promise<Participant | undefined> {
    const rows = await this.rows<ParticipantRow>('getParticipant', this.sql.getParticipant, [
      encodeText(roomId),
      encodeText(participantId),
    ]);
    return rows[0] ? participantFromRow(rows[0]) : undefined;
  }

  async listParticipants(roomId: string): Promise<Participant[]> {
    const rows = await this.rows<ParticipantRow>('listParticipants', this.sql.listParticipants, [
      encodeText(roomId),
    ]);
    return rows.map(participantFromRow);
  }

  async removeParticipant(roomId: string, participantId: string): Promise<void> {
    await this.run('removeParticipant', this.sql.deleteParticipant, [
      encodeText(roomId),
      encodeText(participantId),
    ]);
  }

  /**
   * Calls for one room commit in the order they were made, even when the caller does not wait
   * for one before the next (the pipeline commits an event and what its hooks injected that way):
   * pooled connections would otherwise race, and index n+1 would find the count still at n.
   */
  addEvent(input: RoomEvent): Promise<void> {
    // Validated (and copied) first: the same inputs fail as in every store, and nothing is sent.
    let event: RoomEvent;
    try {
      event = storableEvent(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const before = this.commitsInFlight.get(event.roomId);
    const commit = before
      ? before.then(noop, noop).then(() => this.insertEvent(event))
      : this.insertEvent(event);
    this.commitsInFlight.set(event.roomId, commit);
    const forget = () => {
      if (this.commitsInFlight.get(event.roomId) === commit) this.commitsInFlight.delete(event.roomId);
    };
    commit.then(forget, forget);
    return commit;
  }

  private async insertEvent(event: RoomEvent): Promise<void> {
    const result = await this.run('addEvent', this.sql.addEvent, eventParams(event), (error) => {
      const e = error as { code?: string; constraint?: string };
      if (e.code !== '23505') return undefined;
      if (e.constraint === 'events_idempotency') {
        return new ValidationError(
          `duplicate idempotency key in ${event.roomId}: ${event.idempotencyKey}`,
          error,
        );
      }
      if (e.constraint === 'events_id_key')
        return new ValidationError(`duplicate event id: ${event.id}`, error);
      return new ValidationError(`event index ${event.index} is taken in ${event.roomId}`, error);
    });
    if (result.rowCount === 1) return;
    // Nothing was written: the room is missing, or its count is not this index (another
    // process committed first, or the caller skipped one).
    const rows = await this.rows<{ event_count: number }>('addEvent', this.sql.roomCounter, [
      encodeText(event.roomId),
    ]);
    if (!rows[0]) throw new ValidationError(`room not found: ${event.roomId}`);
    throw new ValidationError(
      `event index ${event.index} does not follow ${Number(rows[0].event_count) - 1} in ${event.roomId}`,
    );
  }

  async getEvent(roomId: string, eventId: string): Promise<RoomEvent | undefined> {
    const rows = await this.rows<EventRow>('getEvent', this.sql.getEvent, [
      encodeText(eventId),
      encodeText(roomId),
    ]);
    return rows[0] ? eventFromRow(rows[0]) : undefined;
  }

  async listEvents(roomId: string, query: ListEventsQuery = {}): Promise<RoomEvent[]> {
    const params = [
      encodeText(roomId),
      query.afterIndex ?? -1,
      query.beforeIndex ?? NO_UPPER_BOUND,
      query.limit === undefined ? null : count('limit', query.limit),
    ];
    if (query.direction === 'backward') {
      // Walks the primary key from the top and stops after `limit` rows (test/store/postgres).
      const rows = await this.rows<EventRow>('listEvents', this.sql.listEventsBackward, params);
      return rows.reverse().map(eventFromRow);
    }
    const rows = await this.rows<EventRow>('listEvents', this.sql.listEventsForward, params);
    return rows.map(eventFromRow);
  }

  async countEvents(roomId: string): Promise<number> {
    // Indices have no gaps, so the room's counter is the count (no COUNT(*) over the timeline).
    const rows = await this.rows<{ event_count: number }>('countEvents', this.sql.roomCounter, [
      encodeText(roomId),
    ]);
    return rows[0] ? Number(rows[0].event_count) : 0;
  }

  async findEventByIdempotencyKey(roomId: string, key: string): Promise<RoomEvent | undefined> {
    const rows = await this.rows<EventRow>('findEventByIdempotencyKey', this.sql.eventByKey, [
      encodeText(roomId),
      encodeText(key),
    ]);
    return rows[0] ? eventFromRow(rows[0]) : undefined;
  }

  async getDeliveryCursor(roomId: string): Promise<number> {
    const rows = await this.rows<{ delivered_index: number }>('getDeliveryCursor', this.sql.getCursor, [
      encodeText(roomId),
    ]);
    return rows[0] ? Number(rows[0].delivered_index) : -1;
  }

  async advanceDeliveryCursor(roomId: string, index: number): Promise<void> {
    // Shape first (an integer >= -1); the upper bound is the room's count, checked by the UPDATE.
    checkDeliveryCursor(roomId, index, NO_UPPER_BOUND);
    // Written without waiting for the WAL flush: the cursor is at-least-once by design (a lost
    // move re-drives a few events after a database crash), and a busy room moves it every 20 ms.
    const moved = await this.runAsync(
      'advanceDeliveryCursor',
      `SET LOCAL synchronous_commit TO OFF; ${this.sql.advanceCursor(pg.escapeLiteral(encodeText(roomId)), index)}`,
    );
    if (moved.rowCount === 1) return;
    const rows = await this.rows<{ event_count: number }>('advanceDeliveryCursor', this.sql.roomCounter, [
      encodeText(roomId),
    ]);
    if (!rows[0]) throw new ValidationError(`room not found: ${roomId}`);
    checkDeliveryCursor(roomId, index, Number(rows[0].event_count));
  }

  async listUndeliveredRooms(): Promise<string[]> {
    const rows = await this.rows<{ id: string }>('listUndeliveredRooms', this.sql.undeliveredRooms, []);
    return rows.map((r) => decodeText(r.id));
  }

  /** Ids of rooms with inactivity timers that are not closed (a cluster's owners watch them). */
  async listTimedRooms(): Promise<string[]> {
    const rows = await this.rows<{ id: string }>('listTimedRooms', this.sql.timedRooms, []);
    return rows.map((r) => decodeText(r.id));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.coordinationHandle?.close();
    await this.pool.end();
  }

  private async migrate(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.ready = undefined; // try again on the next call
      throw storeErrorFrom(error, 'connect');
    }
    try {
      await migrate(client, this.schema);
    } catch (error) {
      this.ready = undefined;
      throw storeErrorFrom(error, 'migrate');
    } finally {
      client.release();
    }
  }

  /**
   * Several statements in one simple query (one round trip, one implicit transaction, so a
   * `SET LOCAL` applies to the rest); resolves with the last statement's result.
   */
  private async runAsync(what: string, text: string): Promise<pg.QueryResult> {
    if (this.closed) throw new StoreUnavailableError(`${what}: the store is closed`);
    await this.init();
    try {
      const results = (await this.pool.query(text)) as unknown as pg.QueryResult[];
      return results[results.length - 1]!;
    } catch (error) {
      throw storeErrorFrom(error, what);
    }
  }

  private async rows<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<R[]> {
    return (await this.run<R>(what, text, values)).rows;
  }

  /** One statement on a pooled connection; every failure comes out as one of our typed errors. */
  private async run<R extends pg.QueryResultRow = pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
    known?: (error: unknown) => Error | undefined,
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError(`${what}: the store is closed`);
    await this.init();
    try {
      // Named, so each connection parses and plans a statement once.
      return await this.pool.query<R>({ name: statementName(text), text, values });
    } catch (error) {
      throw known?.(error) ?? storeErrorFrom(error, what);
    }
  }
}

function noop(): void {}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError(`${name} must be a non-negative integer: ${value}`);
  }
  return value;
}
