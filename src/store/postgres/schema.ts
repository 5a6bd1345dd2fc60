import type pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import { advisoryKey } from './advisory-key.js';

/**
 * Ordered schema migrations: migration `i` brings a schema from version `i` to `i + 1`, recorded
 * in `<schema>.roomkit_schema`. Never edit a released migration; append one. `{s}` is the
 * quoted schema name.
 *
 * Column choices:
 * - `seq` (identity) orders rooms, bindings and participants by insertion, as SQLite's rowid;
 * - timestamps are the ISO strings the kit wrote (text), so they round-trip exactly and sort;
 * - content, metadata, source, visibility and targets are JSONB (queryable, compact); strings
 *   PostgreSQL cannot hold are escaped (text-codec.ts);
 * - (room_id, idx) is the timeline's primary key: "the last N events" walks it backward.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: rooms (with the delivery cursor), bindings, participants, events.
  `
  CREATE TABLE {s}.rooms (
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    id               text PRIMARY KEY,
    status           text NOT NULL,
    organization_id  text,
    metadata         jsonb NOT NULL,
    timers           jsonb,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    closed_at        text,
    last_activity_at text,
    event_count      bigint NOT NULL DEFAULT 0,
    delivered_index  bigint NOT NULL DEFAULT -1
  );
  CREATE INDEX rooms_created ON {s}.rooms (created_at, seq);
  CREATE INDEX rooms_org ON {s}.rooms (organization_id, created_at, seq);
  -- Recovery asks for rooms whose cursor is behind: a partial index keeps that cheap.
  CREATE INDEX rooms_undelivered ON {s}.rooms (created_at, seq) WHERE delivered_index < event_count - 1;
  -- Cluster owners watch rooms with inactivity timers.
  CREATE INDEX rooms_timed ON {s}.rooms (seq) WHERE timers IS NOT NULL AND status IN ('active', 'paused');

  CREATE TABLE {s}.bindings (
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    room_id             text NOT NULL REFERENCES {s}.rooms (id) ON DELETE CASCADE,
    channel_id          text NOT NULL,
    channel_type        text NOT NULL,
    category            text NOT NULL,
    access              text NOT NULL,
    muted               boolean NOT NULL,
    visibility          jsonb NOT NULL,
    participant_id      text,
    metadata            jsonb NOT NULL,
    attached_at         text NOT NULL,
    delivery_timeout_ms double precision,
    PRIMARY KEY (room_id, channel_id)
  );
  CREATE INDEX bindings_channel ON {s}.bindings (channel_id);

  CREATE TABLE {s}.participants (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    room_id      text NOT NULL REFERENCES {s}.rooms (id) ON DELETE CASCADE,
    id           text NOT NULL,
    display_name text,
    channel_id   text,
    role         text NOT NULL,
    identified   boolean NOT NULL,
    metadata     jsonb NOT NULL,
    joined_at    text NOT NULL,
    PRIMARY KEY (room_id, id)
  );

  CREATE TABLE {s}.events (
    room_id            text NOT NULL REFERENCES {s}.rooms (id) ON DELETE CASCADE,
    idx                bigint NOT NULL,
    id                 text NOT NULL,
    type               text NOT NULL,
    source             jsonb NOT NULL,
    content            jsonb NOT NULL,
    status             text NOT NULL,
    blocked_by         text,
    chain_depth        integer NOT NULL,
    idempotency_key    text,
    visibility         jsonb NOT NULL,
    created_at         text NOT NULL,
    metadata           jsonb NOT NULL,
    target_channel_ids jsonb,
    response_to        text,
    CONSTRAINT events_pkey PRIMARY KEY (room_id, idx),
    CONSTRAINT events_id_key UNIQUE (id)
  );
  -- Idempotency is the database's promise, not a read-then-write: a second event with the
  -- same key in a room cannot commit, whatever process sends it.
  CREATE UNIQUE INDEX events_idempotency ON {s}.events (room_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The identifier quoted for SQL ("my schema" -> "\"my schema\""). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Bring `schema` up to SCHEMA_VERSION. Each step runs in one transaction with its version row,
 * under an advisory lock, so processes starting together migrate once and a failed step leaves
 * nothing half-done. A schema written by a newer roomkit is refused, not misread.
 */
export async function migrate(client: pg.PoolClient, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [advisoryKey('migrate', schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.roomkit_schema (
      version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${s}.roomkit_schema`,
    );
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new ValidationError(
        `database schema ${schema} is at version ${current}, newer than this roomkit supports (${SCHEMA_VERSION})`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version]!.replaceAll('{s}', s));
      await client.query(`INSERT INTO ${s}.roomkit_schema (version) VALUES ($1)`, [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
