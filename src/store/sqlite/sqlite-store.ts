import Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';
import type { ChannelBinding, Participant, Room, RoomEvent } from '../../models/index.js';
import type { ConversationStore, ListEventsQuery, ListRoomsQuery } from '../conversation-store.js';
import { Checkpointer } from './checkpointer.js';
import { GroupCommit } from './group-commit.js';
import { listRoomsKey, prepareStatements, type Statements } from './queries.js';
import {
  bindingFromRow,
  bindingParams,
  eventFromRow,
  eventParams,
  participantFromRow,
  participantParams,
  roomFromRow,
  roomParams,
} from './rows.js';
import { migrate } from './schema.js';
import {
  checkDeliveryCursor,
  storableBinding,
  storableEvent,
  storableParticipant,
  storableRoom,
} from '../storable.js';

export type SqliteSynchronous = 'off' | 'normal' | 'full' | 'extra';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:' for a private in-memory database. Default './roomkit.db'. */
  path?: string;
  /**
   * How hard a commit waits for the disk. Default 'normal'. What an acknowledged event (its
   * `addEvent`, so its `processInbound`, resolved) survives, in WAL mode:
   *
   * - 'off': no fsync at all. Survives a crash of the process (SIGKILL, OOM, a throw): a commit
   *   is written to the `-wal` file with write(2) before it is acknowledged, and the kernel's page
   *   cache outlives the process. Power loss or an OS crash may lose recent commits and can
   *   corrupt the database file.
   * - 'normal': fsync at checkpoints only (the WAL before it is copied back, the database
   *   after). Survives a crash of the process, as above. Power loss or an OS crash may roll back
   *   the commits since the last checkpoint; the database stays consistent.
   * - 'full': the WAL is fsynced at every commit. Acknowledged events survive power loss.
   * - 'extra': as 'full' (its extra directory sync concerns rollback journals, unused in WAL).
   *
   * Commits are grouped (events added in the same turn of the event loop share one
   * transaction, so with 'full' one fsync), and checkpoints run on a worker thread, so their
   * fsyncs never stall the event loop. Neither changes the guarantees above.
   */
  synchronous?: SqliteSynchronous;
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const SYNCHRONOUS_MODES: readonly SqliteSynchronous[] = ['off', 'normal', 'full', 'extra'];
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * A ConversationStore in one SQLite file (WAL mode), safe to share between processes.
 * better-sqlite3 is synchronous; the methods stay async to honour the store contract.
 */
export class SqliteStore implements ConversationStore {
  readonly name = 'sqlite';
  readonly path: string;
  private readonly db: Database.Database;
  private readonly sql: Statements;
  /** addEvent's writes, committed in groups (group-commit.ts). */
  private readonly events: GroupCommit<RoomEvent>;
  /** Background WAL checkpoints (file databases in WAL mode). */
  private readonly checkpointer?: Checkpointer;

  constructor(options: SqliteStoreOptions = {}) {
    const synchronous = options.synchronous ?? 'normal';
    if (!SYNCHRONOUS_MODES.includes(synchronous)) {
      throw new ValidationError(`synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}: ${synchronous}`);
    }
    this.path = options.path ?? './roomkit.db';
    this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      // WAL lets readers in other connections run while one writer commits, and makes a commit
      // a single sequential append (see the note on `synchronous`). ':memory:' reports 'memory'.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.sql = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
    // IMMEDIATE: take the write lock before reading event_count, so two processes appending to
    // the same room serialise instead of both reading the same count.
    const tx = this.db.transaction((events: readonly RoomEvent[]) => events.map((e) => this.tryInsert(e)));
    if (this.db.pragma('journal_mode', { simple: true }) === 'wal') {
      this.checkpointer = new Checkpointer({
        path: this.path,
        synchronous: synchronous.toUpperCase(),
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
        setAutoCheckpoint: (on) => {
          if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${on ? 1000 : 0}`);
        },
      });
    }
    this.events = new GroupCommit(
      (events) => tx.immediate(events),
      (events) => this.checkpointer?.committed(events),
    );
  }

  async createRoom(room: Room): Promise<void> {
    this.events.flush();
    try {
      // A new room has no events, whatever eventCount the caller passed: the column starts at 0.
      this.sql.insertRoom.run(roomParams(storableRoom(room)));
    } catch (err) {
      if (isConstraint(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new ValidationError(`room already exists: ${room.id}`, err);
      }
      throw err;
    }
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const row = this.sql.getRoom.get(roomId);
    return row ? roomFromRow(row) : undefined;
  }

  async updateRoom(room: Room): Promise<void> {
    this.events.flush();
    const { last_activity_at: _ignored, ...params } = roomParams(storableRoom(room));
    if (this.sql.updateRoom.run(params).changes === 0)
      throw new ValidationError(`room not found: ${room.id}`);
  }

  async deleteRoom(roomId: string): Promise<void> {
    this.events.flush();
    // Bindings, participants and events go with it (ON DELETE CASCADE), in the same statement.
    this.sql.deleteRoom.run(roomId);
  }

  async listRooms(query: ListRoomsQuery = {}): Promise<Room[]> {
    const byStatus = query.status !== undefined;
    const byOrg = query.organizationId !== undefined;
    const stmt = this.sql.listRooms.get(listRoomsKey(byStatus, byOrg))!;
    const params: Record<string, unknown> = {
      limit: query.limit === undefined ? -1 : count('limit', query.limit),
      offset: count('offset', query.offset ?? 0),
    };
    if (byStatus) params.status = query.status;
    if (byOrg) params.org = query.organizationId;
    return stmt.all(params).map(roomFromRow);
  }

  async saveBinding(binding: ChannelBinding): Promise<void> {
    const row = bindingParams(storableBinding(binding));
    this.events.flush();
    this.withRoom(binding.roomId, () => this.sql.upsertBinding.run(row));
  }

  async removeBinding(roomId: string, channelId: string): Promise<void> {
    this.events.flush();
    this.sql.deleteBinding.run(roomId, channelId);
  }

  async listBindings(roomId: string): Promise<ChannelBinding[]> {
    return this.sql.listBindings.all(roomId).map(bindingFromRow);
  }

  async findRoomIds(query: { channelId: string; participantId?: string }): Promise<string[]> {
    const rows =
      query.participantId === undefined
        ? this.sql.findRoomIds.all(query.channelId)
        : this.sql.findRoomIdsWithParticipant.all(query.channelId, query.participantId);
    return rows.map((r) => r.id);
  }

  async saveParticipant(participant: Participant): Promise<void> {
    const row = participantParams(storableParticipant(participant));
    this.events.flush();
    this.withRoom(participant.roomId, () => this.sql.upsertParticipant.run(row));
  }

  async getParticipant(roomId: string, participantId: string): Promise<Participant | undefined> {
    const row = this.sql.getParticipant.get(roomId, participantId);
    return row ? participantFromRow(row) : undefined;
  }

  async listParticipants(roomId: string): Promise<Participant[]> {
    return this.sql.listParticipants.all(roomId).map(participantFromRow);
  }

  async removeParticipant(roomId: string, participantId: string): Promise<void> {
    this.events.flush();
    this.sql.deleteParticipant.run(roomId, participantId);
  }

  /**
   * Resolves once the event is committed, in a transaction shared with the other events added
   * in the same turn of the event loop (group commit). Each event is checked on its own: a bad
   * one fails alone, a failed transaction fails its whole batch (SqliteCommitError).
   */
  addEvent(event: RoomEvent): Promise<void> {
    let checked: RoomEvent;
    try {
      // Validated (and copied) before the transaction: the same inputs fail as in every store.
      checked = storableEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.events.add(checked);
  }

  async getEvent(roomId: string, eventId: string): Promise<RoomEvent | undefined> {
    const row = this.sql.getEvent.get(eventId, roomId);
    return row ? eventFromRow(row) : undefined;
  }

  async listEvents(roomId: string, query: ListEventsQuery = {}): Promise<RoomEvent[]> {
    const after = query.afterIndex ?? -1;
    const before = query.beforeIndex ?? NO_UPPER_BOUND;
    const limit = query.limit === undefined ? -1 : count('limit', query.limit);
    if (query.direction === 'backward') {
      // Walk the (room_id, idx) key from the top and stop after `limit` rows: reading the last
      // page of a long room costs the page, not the room.
      return this.sql.listEventsBackward.all(roomId, after, before, limit).reverse().map(eventFromRow);
    }
    return this.sql.listEventsForward.all(roomId, after, before, limit).map(eventFromRow);
  }

  async countEvents(roomId: string): Promise<number> {
    // Indices have no gaps, so the room's counter is the count (no COUNT(*) over the timeline).
    return this.sql.roomCounter.get(roomId)?.event_count ?? 0;
  }

  async findEventByIdempotencyKey(roomId: string, key: string): Promise<RoomEvent | undefined> {
    const row = this.sql.eventByKey.get(roomId, key);
    return row ? eventFromRow(row) : undefined;
  }

  async getDeliveryCursor(roomId: string): Promise<number> {
    return this.sql.getCursor.get(roomId)?.delivered_index ?? -1;
  }

  async advanceDeliveryCursor(roomId: string, index: number): Promise<void> {
    this.events.flush();
    const row = this.sql.getCursor.get(roomId);
    if (!row) throw new ValidationError(`room not found: ${roomId}`);
    checkDeliveryCursor(roomId, index, row.event_count);
    this.sql.advanceCursor.run({ id: roomId, index });
  }

  async listUndeliveredRooms(): Promise<string[]> {
    return this.sql.undeliveredRooms.all().map((r) => r.id);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.events.flush();
    await this.checkpointer?.close();
    if (!this.db.open) return;
    this.events.flush(); // what came in while the thread stopped
    // The last connection to close checkpoints what is left and removes the WAL.
    this.db.close();
  }

  /** One event of a batch: its refusal (a ValidationError, nothing written), or undefined. */
  private tryInsert(event: RoomEvent): Error | undefined {
    try {
      this.insertEvent(event);
      return undefined;
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error; // anything else dooms the transaction
    }
  }

  /**
   * Runs inside the IMMEDIATE transaction. Every check comes before the first write, so a
   * refused event leaves nothing behind and the rest of the batch goes on.
   */
  private insertEvent(event: RoomEvent): void {
    const room = this.sql.roomCounter.get(event.roomId);
    if (!room) throw new ValidationError(`room not found: ${event.roomId}`);
    if (event.index !== room.event_count) {
      throw new ValidationError(
        `event index ${event.index} does not follow ${room.event_count - 1} in ${event.roomId}`,
      );
    }
    if (event.idempotencyKey !== undefined && this.sql.eventByKey.get(event.roomId, event.idempotencyKey)) {
      throw new ValidationError(`duplicate idempotency key in ${event.roomId}: ${event.idempotencyKey}`);
    }
    if (this.sql.eventIdExists.get(event.id)) {
      throw new ValidationError(`duplicate event id: ${event.id}`);
    }
    this.sql.insertEvent.run(eventParams(event));
    this.sql.bumpRoom.run(event.createdAt, event.roomId, room.event_count);
  }

  /** Writes that need their room: a missing room is a ValidationError, not a raw FK failure. */
  private withRoom(roomId: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      if (isConstraint(err, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
        throw new ValidationError(`room not found: ${roomId}`, err);
      }
      throw err;
    }
  }
}

function isConstraint(err: unknown, code: string): boolean {
  return err instanceof Database.SqliteError && err.code === code;
}

function count(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError(`${name} must be a non-negative integer: ${value}`);
  }
  return value;
}
