import pg from 'pg';
import type { ClusterCoordination } from '../../core/cluster/leases.js';
import { AdvisoryLeases } from './advisory-leases.js';
import { AdvisoryLockManager } from './advisory-locks.js';
import type { PostgresStoreOptions } from './connection.js';

export type { ClusterCoordination };

/** Connections for room locks (one per room being written at the same moment in this process). */
const LOCK_CONNECTIONS = 10;

/**
 * Room locks and room leases on the store's database (see docs/decisions.md, "Cluster: one
 * owner per room"). Room locks have their own pool, so a room waiting for its lock never takes
 * a connection the store needs to commit; leases have one connection of their own.
 */
export class PostgresCoordination implements ClusterCoordination {
  readonly locks: AdvisoryLockManager;
  readonly leases: AdvisoryLeases;
  private readonly lockPool: pg.Pool;

  constructor(options: PostgresStoreOptions, schema: string, poolConfig: (max: number) => pg.PoolConfig) {
    const base = poolConfig(LOCK_CONNECTIONS);
    this.lockPool = new pg.Pool({
      ...base,
      // Waiting for a busy room is bounded by the kit's own pre-commit deadline; this only catches
      // a database that stopped answering without closing the connection.
      query_timeout: Math.max(60_000, options.queryTimeoutMs ?? 0),
      application_name: `${base.application_name}-locks`,
    });
    this.lockPool.on('error', () => {});
    this.locks = new AdvisoryLockManager(this.lockPool, schema);
    this.leases = new AdvisoryLeases(
      {
        ...poolConfig(1),
        application_name: `${base.application_name}-leases`,
        keepAliveInitialDelayMillis: 10_000,
        query_timeout: options.queryTimeoutMs ?? 15_000,
      },
      schema,
    );
  }

  async close(): Promise<void> {
    await this.leases.close();
    // A section that never ends (a hung hook) keeps its connection checked out; do not wait for it.
    await Promise.race([this.lockPool.end().catch(() => {}), delay(1000)]);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
