import { quoteIdent } from './schema.js';

/**
 * Every statement of the store, for one schema. Hot statements are named, so each pooled
 * connection parses and plans them once. The timeline statements are exported for the
 * query-plan test: they must walk the (room_id, idx) key, never scan or sort a room.
 */
export interface Queries {
  insertRoom: string;
  getRoom: string;
  updateRoom: string;
  deleteRoom: string;
  listRooms: (byStatus: boolean, byOrg: boolean) => string;
  roomCounter: string;
  getCursor: string;
  /** Values inlined (an integer index, an escaped id), for a multi-statement query. */
  advanceCursor: (quotedId: string, index: number) => string;
  undeliveredRooms: string;
  timedRooms: string;

  upsertBinding: string;
  deleteBinding: string;
  listBindings: string;
  findRoomIds: string;
  findRoomIdsWithParticipant: string;

  upsertParticipant: string;
  getParticipant: string;
  listParticipants: string;
  deleteParticipant: string;

  addEvent: string;
  getEvent: string;
  eventByKey: string;
  listEventsForward: string;
  listEventsBackward: string;
}

const ROOM_COLUMNS = `id, status, organization_id, metadata, timers, created_at, updated_at, closed_at,
  last_activity_at, event_count`;

export function queries(schema: string): Queries {
  const s = quoteIdent(schema);
  return {
    insertRoom: `INSERT INTO ${s}.rooms (id, status, organization_id, metadata, timers, created_at, updated_at,
      closed_at, last_activity_at) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9)`,
    getRoom: `SELECT ${ROOM_COLUMNS} FROM ${s}.rooms WHERE id = $1`,
    // event_count, last_activity_at and delivered_index are left alone: addEvent and the cursor own them.
    updateRoom: `UPDATE ${s}.rooms SET status = $2, organization_id = $3, metadata = $4::jsonb,
      timers = $5::jsonb, created_at = $6, updated_at = $7, closed_at = $8 WHERE id = $1`,
    deleteRoom: `DELETE FROM ${s}.rooms WHERE id = $1`,
    listRooms: (byStatus, byOrg) => {
      const where = [byStatus ? 'status = $3' : '', byOrg ? `organization_id = $${byStatus ? 4 : 3}` : ''];
      const filter = where.filter(Boolean).join(' AND ');
      // LIMIT NULL is no limit.
      return `SELECT ${ROOM_COLUMNS} FROM ${s}.rooms ${filter ? `WHERE ${filter}` : ''}
        ORDER BY created_at, seq LIMIT $1 OFFSET $2`;
    },
    roomCounter: `SELECT event_count FROM ${s}.rooms WHERE id = $1`,
    getCursor: `SELECT delivered_index FROM ${s}.rooms WHERE id = $1`,
    // GREATEST keeps the cursor monotonic when two processes advance it at once.
    advanceCursor: (quotedId, index) =>
      `UPDATE ${s}.rooms SET delivered_index = GREATEST(delivered_index, ${Math.trunc(index)})
      WHERE id = ${quotedId} AND ${Math.trunc(index)} < event_count RETURNING delivered_index`,
    undeliveredRooms: `SELECT id FROM ${s}.rooms WHERE delivered_index < event_count - 1 ORDER BY created_at, seq`,
    timedRooms: `SELECT id FROM ${s}.rooms WHERE timers IS NOT NULL AND status IN ('active', 'paused') ORDER BY seq`,

    upsertBinding: `INSERT INTO ${s}.bindings (room_id, channel_id, channel_type, category, access, muted,
      visibility, participant_id, metadata, attached_at, delivery_timeout_ms)
      VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10, $11)
      ON CONFLICT (room_id, channel_id) DO UPDATE SET channel_type = excluded.channel_type,
      category = excluded.category, access = excluded.access, muted = excluded.muted,
      visibility = excluded.visibility, participant_id = excluded.participant_id,
      metadata = excluded.metadata, attached_at = excluded.attached_at,
      delivery_timeout_ms = excluded.delivery_timeout_ms`,
    deleteBinding: `DELETE FROM ${s}.bindings WHERE room_id = $1 AND channel_id = $2`,
    listBindings: `SELECT * FROM ${s}.bindings WHERE room_id = $1 ORDER BY seq`,
    findRoomIds: `SELECT r.id FROM ${s}.bindings b JOIN ${s}.rooms r ON r.id = b.room_id
      WHERE b.channel_id = $1 AND r.status NOT IN ('closed', 'archived') ORDER BY r.seq`,
    findRoomIdsWithParticipant: `SELECT r.id FROM ${s}.bindings b JOIN ${s}.rooms r ON r.id = b.room_id
      WHERE b.channel_id = $1 AND r.status NOT IN ('closed', 'archived')
        AND EXISTS (SELECT 1 FROM ${s}.participants p WHERE p.room_id = r.id AND p.id = $2)
      ORDER BY r.seq`,

    upsertParticipant: `INSERT INTO ${s}.participants (room_id, id, display_name, channel_id, role,
      identified, metadata, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
      ON CONFLICT (room_id, id) DO UPDATE SET display_name = excluded.display_name,
      channel_id = excluded.channel_id, role = excluded.role, identified = excluded.identified,
      metadata = excluded.metadata, joined_at = excluded.joined_at`,
    getParticipant: `SELECT * FROM ${s}.participants WHERE room_id = $1 AND id = $2`,
    listParticipants: `SELECT * FROM ${s}.participants WHERE room_id = $1 ORDER BY seq`,
    deleteParticipant: `DELETE FROM ${s}.participants WHERE room_id = $1 AND id = $2`,

    // One statement, so one implicit transaction and one round trip: the UPDATE takes the room's
    // row lock and moves the counter only if it still equals the event's index (a process that
    // waited for the lock re-checks the new count and matches nothing); the INSERT happens only
    // if it did. A broken unique constraint (event id, idempotency key) rolls both back.
    addEvent: `WITH bumped AS (
        UPDATE ${s}.rooms SET event_count = event_count + 1, last_activity_at = $12
        WHERE id = $1 AND event_count = $2 RETURNING id
      )
      INSERT INTO ${s}.events (room_id, idx, id, type, source, content, status, blocked_by, chain_depth,
        idempotency_key, visibility, created_at, metadata, target_channel_ids, response_to)
      SELECT $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13::jsonb, $14::jsonb, $15
      FROM bumped`,
    getEvent: `SELECT * FROM ${s}.events WHERE id = $1 AND room_id = $2`,
    eventByKey: `SELECT * FROM ${s}.events WHERE room_id = $1 AND idempotency_key = $2`,
    listEventsForward: listEventsSql(s, 'ASC'),
    listEventsBackward: listEventsSql(s, 'DESC'),
  };
}

/** Events in (afterIndex, beforeIndex) of a room, first `limit` in the given direction (NULL: all). */
function listEventsSql(s: string, direction: 'ASC' | 'DESC'): string {
  return `SELECT * FROM ${s}.events WHERE room_id = $1 AND idx > $2 AND idx < $3 ORDER BY idx ${direction} LIMIT $4`;
}
