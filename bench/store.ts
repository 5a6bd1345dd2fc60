import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RoomEvent } from '../src/models/index.js';
import { SqliteStore, type SqliteSynchronous } from '../src/store/sqlite/index.js';

/** Events per run: enough to pass several WAL auto-checkpoints (1000 pages), so their cost counts. */
const EVENTS = 20_000;
const WARMUP = 500;

function event(index: number): RoomEvent {
  return {
    id: `bench-${index}`,
    roomId: 'bench',
    type: 'message',
    source: { channelId: 'ws', channelType: 'websocket', participantId: 'u1' },
    content: { type: 'text', body: `benchmark message number ${index}` },
    status: 'delivered',
    index,
    chainDepth: 0,
    idempotencyKey: `key-${index}`,
    visibility: 'all',
    createdAt: new Date().toISOString(),
    metadata: { seq: index },
  };
}

async function measure(dir: string, synchronous: SqliteSynchronous): Promise<Record<string, number>> {
  const store = new SqliteStore({ path: join(dir, `${synchronous}.db`), synchronous });
  try {
    const at = new Date().toISOString();
    await store.createRoom({
      id: 'bench',
      status: 'active',
      metadata: {},
      createdAt: at,
      updatedAt: at,
      eventCount: 0,
    });
    for (let i = 0; i < WARMUP; i++) await store.addEvent(event(i));
    const start = performance.now();
    for (let i = WARMUP; i < WARMUP + EVENTS; i++) await store.addEvent(event(i));
    const seconds = (performance.now() - start) / 1000;
    return {
      events: EVENTS,
      seconds: Number(seconds.toFixed(3)),
      eventsPerSecond: Math.round(EVENTS / seconds),
      microsPerEvent: Number(((seconds * 1e6) / EVENTS).toFixed(1)),
    };
  } finally {
    await store.close();
  }
}

/**
 * Raw addEvent throughput into one room on a temp file: each event is its own transaction
 * (what the inbound pipeline does), WAL mode, default synchronous=normal, plus 'full' for
 * the cost of fsync on every commit.
 */
export async function benchSqliteCommit(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-bench-'));
  try {
    const normal = await measure(dir, 'normal');
    const full = await measure(dir, 'full');
    return {
      name: 'sqlite-commit',
      journalMode: 'wal',
      eventsPerSecond: normal.eventsPerSecond,
      synchronousNormal: normal,
      synchronousFull: full,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
