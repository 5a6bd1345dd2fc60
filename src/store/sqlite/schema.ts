import type Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';

/**
 * Ordered schema migrations. Migration `i` brings the database from version `i` to `i + 1`
 * (recorded in `PRAGMA user_version`). Never edit a released migration: append a new one, so a
 * file written by an older release upgrades in place and a newer file is refused, not misread.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: rooms, bindings, participants, events.
  `
  CREATE TABLE rooms (
    id               TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    organization_id  TEXT,
    metadata         TEXT NOT NULL,
    timers           TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    closed_at        TEXT,
    last_activity_at TEXT,
    event_count      INTEGER NOT NULL DEFAULT 0
  );
  -- listRooms orders by creation (rowid breaks ties in insertion order).
  CREATE INDEX rooms_created ON rooms (created_at);
  CREATE INDEX rooms_org ON rooms (organization_id, created_at);

  CREATE TABLE bindings (
    room_id        TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    channel_id     TEXT NOT NULL,
    channel_type   TEXT NOT NULL,
    category       TEXT NOT NULL,
    access         TEXT NOT NULL,
    muted          INTEGER NOT NULL,
    visibility     TEXT NOT NULL,
    participant_id TEXT,
    metadata       TEXT NOT NULL,
    attached_at    TEXT NOT NULL,
    PRIMARY KEY (room_id, channel_id)
  );
  -- Inbound routing looks rooms up by channel.
  CREATE INDEX bindings_channel ON bindings (channel_id);

  CREATE TABLE participants (
    room_id      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    display_name TEXT,
    channel_id   TEXT,
    role         TEXT NOT NULL,
    identified   INTEGER NOT NULL,
    metadata     TEXT NOT NULL,
    joined_at    TEXT NOT NULL,
    PRIMARY KEY (room_id, id)
  );

  -- (room_id, idx) is the timeline: every range query walks this key, never the table.
  CREATE TABLE events (
    room_id            TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    idx                INTEGER NOT NULL,
    id                 TEXT NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    source             TEXT NOT NULL,
    content            TEXT NOT NULL,
    status             TEXT NOT NULL,
    blocked_by         TEXT,
    chain_depth        INTEGER NOT NULL,
    idempotency_key    TEXT,
    visibility         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    target_channel_ids TEXT,
    response_to        TEXT,
    PRIMARY KEY (room_id, idx)
  );
  CREATE UNIQUE INDEX events_idempotency ON events (room_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
  `,
  // v2: the per-room delivery cursor, and a per-binding delivery deadline. Rooms written by v1
  // were delivered as they went (v1 had no crash re-drive), so their cursor starts caught up:
  // an upgrade must not re-deliver a whole history.
  `
  ALTER TABLE rooms ADD COLUMN delivered_index INTEGER NOT NULL DEFAULT -1;
  UPDATE rooms SET delivered_index = event_count - 1;
  ALTER TABLE bindings ADD COLUMN delivery_timeout_ms REAL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the database up to SCHEMA_VERSION; each step commits together with its version number. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new ValidationError(
      `database schema version ${current} is newer than this roomkit supports (${SCHEMA_VERSION})`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    // IMMEDIATE takes the write lock first, so two processes opening a fresh file do not both migrate.
    db.transaction(() => {
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now !== version) return; // another connection got here first
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
