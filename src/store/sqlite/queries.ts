import type Database from 'better-sqlite3';
import type { BindingRow, EventRow, ParticipantRow, RoomRow } from './rows.js';

/**
 * Every statement the store runs, prepared once per connection. The SQL is exported so tests can
 * check query plans (the timeline reads must walk the (room_id, idx) key, not scan a room).
 */

const ROOM_COLUMNS = `id, status, organization_id, metadata, timers, created_at, updated_at, closed_at,
  last_activity_at, event_count`;

/** Events in (afterIndex, beforeIndex), oldest first: the first `limit` of the range. */
export const LIST_EVENTS_FORWARD_SQL = `SELECT * FROM events
  WHERE room_id = ? AND idx > ? AND idx < ? ORDER BY idx ASC LIMIT ?`;

/** The newest `limit` events of the range, newest first (the caller reverses them). */
export const LIST_EVENTS_BACKWARD_SQL = `SELECT * FROM events
  WHERE room_id = ? AND idx > ? AND idx < ? ORDER BY idx DESC LIMIT ?`;

/** Rooms attached to a channel, in creation order, skipping rooms that no longer take messages. */
export const FIND_ROOM_IDS_SQL = `SELECT r.id FROM bindings b JOIN rooms r ON r.id = b.room_id
  WHERE b.channel_id = ? AND r.status NOT IN ('closed', 'archived') ORDER BY r.rowid`;

export const FIND_ROOM_IDS_WITH_PARTICIPANT_SQL = `SELECT r.id FROM bindings b JOIN rooms r ON r.id = b.room_id
  WHERE b.channel_id = ? AND r.status NOT IN ('closed', 'archived')
    AND EXISTS (SELECT 1 FROM participants p WHERE p.room_id = r.id AND p.id = ?)
  ORDER BY r.rowid`;

type Stmt<Row = unknown> = Database.Statement<unknown[], Row>;

export interface Statements {
  insertRoom: Stmt;
  getRoom: Stmt<RoomRow>;
  updateRoom: Stmt;
  deleteRoom: Stmt;
  /** Keyed by which filters are present: listRooms has four shapes. */
  listRooms: Map<string, Stmt<RoomRow>>;
  roomCounter: Stmt<{ event_count: number }>;
  bumpRoom: Stmt;
  getCursor: Stmt<{ delivered_index: number; event_count: number }>;
  advanceCursor: Stmt;
  undeliveredRooms: Stmt<{ id: string }>;

  upsertBinding: Stmt;
  deleteBinding: Stmt;
  listBindings: Stmt<BindingRow>;
  findRoomIds: Stmt<{ id: string }>;
  findRoomIdsWithParticipant: Stmt<{ id: string }>;

  upsertParticipant: Stmt;
  getParticipant: Stmt<ParticipantRow>;
  listParticipants: Stmt<ParticipantRow>;
  deleteParticipant: Stmt;

  insertEvent: Stmt;
  getEvent: Stmt<EventRow>;
  eventByKey: Stmt<EventRow>;
  eventIdExists: Stmt<{ room_id: string }>;
  listEventsForward: Stmt<EventRow>;
  listEventsBackward: Stmt<EventRow>;
}

function listRoomsSql(byStatus: boolean, byOrg: boolean): string {
  const where = [byStatus ? 'status = @status' : '', byOrg ? 'organization_id = @org' : ''].filter(Boolean);
  // SQLite needs a LIMIT to accept OFFSET; -1 means no limit.
  return `SELECT ${ROOM_COLUMNS} FROM rooms ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`;
}

export function listRoomsKey(byStatus: boolean, byOrg: boolean): string {
  return `${byStatus ? 's' : ''}${byOrg ? 'o' : ''}`;
}

export function prepareStatements(db: Database.Database): Statements {
  const listRooms = new Map<string, Stmt<RoomRow>>();
  for (const byStatus of [false, true]) {
    for (const byOrg of [false, true]) {
      listRooms.set(listRoomsKey(byStatus, byOrg), db.prepare(listRoomsSql(byStatus, byOrg)));
    }
  }
  return {
    insertRoom: db.prepare(`INSERT INTO rooms (${ROOM_COLUMNS}) VALUES (@id, @status, @organization_id,
      @metadata, @timers, @created_at, @updated_at, @closed_at, @last_activity_at, 0)`),
    getRoom: db.prepare(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = ?`),
    // event_count and last_activity_at are left alone: only addEvent moves them.
    updateRoom: db.prepare(`UPDATE rooms SET status = @status, organization_id = @organization_id,
      metadata = @metadata, timers = @timers, created_at = @created_at, updated_at = @updated_at,
      closed_at = @closed_at WHERE id = @id`),
    deleteRoom: db.prepare('DELETE FROM rooms WHERE id = ?'),
    listRooms,
    roomCounter: db.prepare('SELECT event_count FROM rooms WHERE id = ?'),
    bumpRoom: db.prepare(
      'UPDATE rooms SET event_count = event_count + 1, last_activity_at = ? WHERE id = ? AND event_count = ?',
    ),
    getCursor: db.prepare('SELECT delivered_index, event_count FROM rooms WHERE id = ?'),
    // MAX keeps the cursor monotonic even when two processes advance it concurrently.
    advanceCursor: db.prepare(
      'UPDATE rooms SET delivered_index = MAX(delivered_index, @index) WHERE id = @id AND @index < event_count',
    ),
    undeliveredRooms: db.prepare(
      'SELECT id FROM rooms WHERE delivered_index < event_count - 1 ORDER BY created_at, rowid',
    ),

    // ON CONFLICT DO UPDATE keeps the rowid, so a re-saved binding keeps its place in the list.
    upsertBinding: db.prepare(`INSERT INTO bindings (room_id, channel_id, channel_type, category, access,
      muted, visibility, participant_id, metadata, attached_at, delivery_timeout_ms) VALUES (@room_id,
      @channel_id, @channel_type, @category, @access, @muted, @visibility, @participant_id, @metadata,
      @attached_at, @delivery_timeout_ms)
      ON CONFLICT (room_id, channel_id) DO UPDATE SET channel_type = excluded.channel_type,
      category = excluded.category, access = excluded.access, muted = excluded.muted,
      visibility = excluded.visibility, participant_id = excluded.participant_id,
      metadata = excluded.metadata, attached_at = excluded.attached_at,
      delivery_timeout_ms = excluded.delivery_timeout_ms`),
    deleteBinding: db.prepare('DELETE FROM bindings WHERE room_id = ? AND channel_id = ?'),
    listBindings: db.prepare('SELECT * FROM bindings WHERE room_id = ? ORDER BY rowid'),
    findRoomIds: db.prepare(FIND_ROOM_IDS_SQL),
    findRoomIdsWithParticipant: db.prepare(FIND_ROOM_IDS_WITH_PARTICIPANT_SQL),

    upsertParticipant: db.prepare(`INSERT INTO participants (room_id, id, display_name, channel_id, role,
      identified, metadata, joined_at) VALUES (@room_id, @id, @display_name, @channel_id, @role, @identified,
      @metadata, @joined_at)
      ON CONFLICT (room_id, id) DO UPDATE SET display_name = excluded.display_name,
      channel_id = excluded.channel_id, role = excluded.role, identified = excluded.identified,
      metadata = excluded.metadata, joined_at = excluded.joined_at`),
    getParticipant: db.prepare('SELECT * FROM participants WHERE room_id = ? AND id = ?'),
    listParticipants: db.prepare('SELECT * FROM participants WHERE room_id = ? ORDER BY rowid'),
    deleteParticipant: db.prepare('DELETE FROM participants WHERE room_id = ? AND id = ?'),

    insertEvent: db.prepare(`INSERT INTO events (room_id, idx, id, type, source, content, status, blocked_by,
      chain_depth, idempotency_key, visibility, created_at, metadata, target_channel_ids, response_to)
      VALUES (@room_id, @idx, @id, @type, @source, @content, @status, @blocked_by, @chain_depth,
      @idempotency_key, @visibility, @created_at, @metadata, @target_channel_ids, @response_to)`),
    getEvent: db.prepare('SELECT * FROM events WHERE id = ? AND room_id = ?'),
    eventByKey: db.prepare('SELECT * FROM events WHERE room_id = ? AND idempotency_key = ?'),
    eventIdExists: db.prepare('SELECT room_id FROM events WHERE id = ?'),
    listEventsForward: db.prepare(LIST_EVENTS_FORWARD_SQL),
    listEventsBackward: db.prepare(LIST_EVENTS_BACKWARD_SQL),
  };
}
