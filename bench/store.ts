import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RoomEvent } from '../src/models/index.js';
import { SqliteStore, type SqliteSynchronous } from '../src/store/sqlite/index.js';

/** Events per run: enough to pass several WAL auto-checkpoints (1000 pages), so their cost counts. */
const EVENTS = 20_000;
const WARMUP = 500;

function event(roomId: string, index: number): RoomEvent {
  return {
    id: `${roomId}-${index}`,
    roomId,
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

/** `rooms` writers at once, each adding its room's events one after the other. */
async function measure(
  dir: string,
  synchronous: SqliteSynchronous,
  rooms = 1,
): Promise<Record<string, number>> {
  const store = new SqliteStore({ path: join(dir, `${synchronous}-${rooms}.db`), synchronous });
  try {
    const at = new Date().toISOString();
    const ids = Array.from({ length: rooms }, (_, r) => `bench-${r}`);
    for (const id of ids) {
      await store.createRoom({
        id,
        status: 'active',
        metadata: {},
        createdAt: at,
        updatedAt: at,
        eventCount: 0,
      });
    }
    const perRoom = EVENTS / rooms;
    const write = (from: number, to: number) =>
      Promise.all(
        ids.map(async (id) => {
          for (let i = from; i < to; i++) await store.addEvent(event(id, i));
        }),
      );
    const warm = Math.floor(WARMUP / rooms);
    await write(0, warm);
    const start = performance.now();
    await write(warm, warm + perRoom);
    const seconds = (performance.now() - start) / 1000;
    return {
      events: EVENTS,
      rooms,
      seconds: Number(seconds.toFixed(3)),
      eventsPerSecond: Math.round(EVENTS / seconds),
      microsPerEvent: Number(((seconds * 1e6) / EVENTS).toFixed(1)),
    };
  } finally {
    await store.close();
  }
}

/**
 * Raw addEvent throughput on a temp file, WAL mode, synchronous normal (the default) and full
 * (fsync on every commit): one room written one event at a time (a transaction each), and 40
 * rooms written at once (their events share transactions: group commit).
 */
export async function benchSqliteCommit(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-bench-'));
  try {
    const normal = await measure(dir, 'normal');
    const full = await measure(dir, 'full');
    const groupedNormal = await measure(dir, 'normal', 40);
    const groupedFull = await measure(dir, 'full', 40);
    return {
      name: 'sqlite-commit',
      journalMode: 'wal',
      eventsPerSecond: normal.eventsPerSecond,
      synchronousNormal: normal,
      synchronousFull: full,
      grouped40RoomsNormal: groupedNormal,
      grouped40RoomsFull: groupedFull,
      loadAvg: Number(loadavg()[0]!.toFixed(2)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
