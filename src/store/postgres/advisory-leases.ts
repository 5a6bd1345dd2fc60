import pg from 'pg';
import type { LeaseManager } from '../../core/cluster/leases.js';
import { advisoryKey } from './advisory-key.js';

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 2000;

/**
 * Room leases as session-level advisory locks on one dedicated connection: holding the lock is
 * owning the room. When the process dies its connection drops and PostgreSQL releases every lease
 * it held at that instant, so another process can take the rooms over on its next scan, with no
 * expiry to wait for and no heartbeat to keep. When the connection breaks while we live (the
 * database restarted), every lease is lost: `onLost` tells the kit, and the connection comes back
 * by itself (claims made meanwhile get nothing).
 */
export class AdvisoryLeases implements LeaseManager {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client | undefined>;
  private readonly held = new Map<string, string>();
  private readonly listeners = new Set<(keys: string[]) => void>();
  private closed = false;
  private backoff = RECONNECT_MIN_MS;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
  ) {}

  async claim(keys: readonly string[]): Promise<Set<string>> {
    const wanted = keys.filter((k) => !this.held.has(k));
    if (wanted.length) {
      const client = await this.connection();
      if (client) {
        const locks = wanted.map((k) => advisoryKey('lease', this.schema, k));
        try {
          const { rows } = await client.query<{ i: number; ok: boolean }>(
            'SELECT i::int AS i, pg_try_advisory_lock(k::bigint) AS ok FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i)',
            [locks],
          );
          for (const row of rows) if (row.ok) this.held.set(wanted[row.i - 1]!, locks[row.i - 1]!);
        } catch {
          // The connection broke mid-claim: 'error' handling below drops it and reports losses.
        }
      }
    }
    return new Set(keys.filter((k) => this.held.has(k)));
  }

  async release(keys: readonly string[]): Promise<void> {
    const locks = keys.map((k) => this.held.get(k)).filter((l): l is string => l !== undefined);
    for (const key of keys) this.held.delete(key);
    if (!locks.length || !this.client) return;
    await this.client
      .query('SELECT pg_advisory_unlock(k::bigint) FROM unnest($1::text[]) AS t(k)', [locks])
      .catch(() => {});
  }

  holds(key: string): boolean {
    return this.held.has(key);
  }

  onLost(listener: (keys: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client ?? (await this.connecting);
    this.client = undefined;
    this.held.clear();
    // Ending the session releases every lease it held.
    await client?.end().catch(() => {});
  }

  /** The lease connection, or undefined while the database is unreachable (retried in the background). */
  private connection(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.resolve(undefined);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<pg.Client | undefined> {
    const client = new pg.Client(this.config);
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
    } catch {
      client.removeAllListeners('end');
      this.scheduleReconnect();
      return undefined;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return undefined;
    }
    this.backoff = RECONNECT_MIN_MS;
    this.client = client;
    return client;
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    const lost = [...this.held.keys()];
    this.held.clear();
    client.end().catch(() => {});
    if (lost.length) for (const listener of this.listeners) listener(lost);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connection();
    }, this.backoff);
    this.retry.unref();
    this.backoff = Math.min(RECONNECT_MAX_MS, this.backoff * 2);
  }
}
