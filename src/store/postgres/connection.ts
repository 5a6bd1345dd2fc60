import { createHash } from 'node:crypto';
import pg from 'pg';
import { takeUrlParam } from '../../core/url-param.js';
import { decodeJson } from './text-codec.js';

export interface PostgresStoreOptions {
  /**
   * `postgres://user@host:5432/db` (default: the PG* environment variables, as `psql`). A
   * `?schema=name` parameter sets `schema` (so one URL says everything, e.g. for `roomkit serve`).
   */
  connectionString?: string;
  /** Schema holding roomkit's tables, created on first use (default: the URL's, else 'roomkit'). */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /**
   * How long to wait for a connection before failing with StoreUnavailableError (default 3000 ms).
   * A database that refuses connections fails at once; this bounds one that does not answer.
   */
  connectTimeoutMs?: number;
  /** How long one statement may take before failing with StoreUnavailableError (default 15000 ms). */
  queryTimeoutMs?: number;
  /** Shown in `pg_stat_activity` (default 'roomkit'). */
  applicationName?: string;
  /**
   * Whether a commit waits for PostgreSQL to flush its WAL to disk (default true, PostgreSQL's own
   * default). false (`synchronous_commit = off` for roomkit's sessions) answers before the flush:
   * a roomkit process that dies loses nothing (the commit is in PostgreSQL), but a crash of the
   * database server itself may lose the last fraction of a second of commits (never consistency).
   * The same trade as SqliteStore's `synchronous: 'normal'`; on a disk with slow fsync it is
   * several times faster for one writer.
   */
  synchronousCommit?: boolean;
}

/** The pool settings of the store, shared with its coordination connections (room locks, leases). */
export function poolConfig(options: PostgresStoreOptions, max: number): pg.PoolConfig {
  return {
    connectionString: options.connectionString,
    max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    query_timeout: options.queryTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'roomkit',
    options: options.synchronousCommit === false ? '-c synchronous_commit=off' : undefined,
    types: { getTypeParser },
  };
}

const names = new Map<string, string>();

/** A prepared statement's name, the same for the same text: each connection parses it once. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) names.set(text, (name = `rk_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`));
  return name;
}

/** bigint as a number (indices stay far below 2^53), JSON and JSONB through the text codec. */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === 20) return Number;
  if (oid === 114 || oid === 3802) return decodeJson;
  return pg.types.getTypeParser(oid, format as 'text');
}

/** `?schema=` is ours, not PostgreSQL's: take it out of the URL before `pg` sees it. */
export function splitSchema(url: string | undefined): { connectionString?: string; schema?: string } {
  if (url === undefined) return {};
  const { url: connectionString, value: schema } = takeUrlParam(url, 'schema');
  return { connectionString, schema };
}
