import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { PostgresStore } from '../src/store/postgres/index.js';
import { ServeCluster, type ServeNode } from '../test/cluster/serve-cluster.js';
import { adminQuery, DATABASE_URL, dropSchema, REDIS_URL, uniqueName } from '../test/cluster/services.js';
import { TcpProxy } from '../test/cluster/tcp-proxy.js';

/**
 * `npm run bench -- cluster`: `roomkit serve` as 1, 2 and 4 processes against one PostgreSQL and
 * one Redis (the machine's, a schema and prefix of their own). 16 rooms; in each, a sender on
 * process (r mod N) sends and an observer on process (r+1 mod N) times each message from send to
 * its arrival over the other process's WebSocket: first one message in flight per room (light
 * load: the latency of the path), then eight (saturated: the throughput). roomkit serve's local
 * agent answers (and streams) every message, so each message is two commits. Everything (the
 * processes, PostgreSQL, Redis and this load generator) shares the machine's cores.
 *
 * First line: the evidence for the room lock (PostgreSQL advisory locks vs a Redis lock).
 */

const ROOMS = 16;
const WINDOW = 8;
const WARMUP_MS = 2000;
const MEASURE_MS = 10_000;
const LIGHT_MS = 5000;

export async function benchCluster(): Promise<Record<string, unknown>[]> {
  // ROOMKIT_BENCH_PROCESSES=2 runs one size only.
  const sizes = (process.env.ROOMKIT_BENCH_PROCESSES ?? '1,2,4').split(',').map(Number);
  const lines: Record<string, unknown>[] = sizes.length === 3 ? [await lockEvidence()] : [];
  for (const processes of sizes) lines.push(await throughput(processes));
  return lines;
}

async function throughput(processes: number): Promise<Record<string, unknown>> {
  const cluster = new ServeCluster({ env: { ROOMKIT_LOG_LEVEL: 'error' } });
  const sockets: WebSocket[] = [];
  try {
    const nodes = await cluster.start(processes);
    const rooms = Array.from({ length: ROOMS }, (_, r) => `bench-${r}`);
    // Each room is created (and so owned) by process r mod N: the agents' work is spread.
    await Promise.all(
      rooms.map((roomId, r) =>
        cluster.api(nodes[r % processes]!, '/api/rooms', {
          method: 'POST',
          body: JSON.stringify({ roomId }),
        }),
      ),
    );
    const load = { window: 0, measuring: false, stop: false, acked: 0, latencies: [] as number[] };
    const errors = new Map<string, number>();
    const pumps: Array<() => void> = [];
    await Promise.all(
      rooms.map(async (roomId, r) => {
        const observer = await join(nodes[(r + 1) % processes]!, roomId, sockets);
        observer.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (frame.type !== 'event' || frame.event.source.channelId !== 'web') return;
          const sentAt = Number(String(frame.event.content.body).split(' ')[0]);
          if (load.measuring) load.latencies.push(now() - sentAt);
        });
        const sender = await join(nodes[r % processes]!, roomId, sockets);
        let inFlight = 0;
        const pump = () => {
          while (!load.stop && inFlight < load.window) {
            inFlight++;
            sender.send(
              JSON.stringify({ type: 'message', roomId, content: { type: 'text', body: `${now()} hello` } }),
            );
          }
        };
        sender.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (frame.type !== 'ack' && frame.type !== 'error') return;
          inFlight--;
          if (frame.type === 'ack' && load.measuring) load.acked++;
          if (frame.type === 'error') errors.set(frame.code, (errors.get(frame.code) ?? 0) + 1);
          pump();
        });
        pumps.push(pump);
        pump();
      }),
    );
    /** One phase: `window` messages in flight per room; what got through and how fast it crossed. */
    const phase = async (window: number, ms: number) => {
      load.window = window;
      for (const pump of pumps) pump();
      await sleep(WARMUP_MS);
      const before = await commits(cluster.schema);
      Object.assign(load, { measuring: true, acked: 0, latencies: [] });
      const started = now();
      await sleep(ms);
      load.measuring = false;
      const seconds = (now() - started) / 1000;
      const committed = (await commits(cluster.schema)) - before;
      const sorted = load.latencies.sort((a, b) => a - b);
      return {
        messagesPerSec: Math.round(load.acked / seconds),
        commitsPerSec: Math.round(committed / seconds),
        p50: round(percentile(sorted, 0.5)),
        p99: round(percentile(sorted, 0.99)),
        samples: sorted.length,
      };
    };
    // Idle: one message at a time in a quiet room: the path itself, same process and across.
    const idle = await idleLatency(cluster, nodes, sockets);
    // Light: one message in flight per room, so latency is mostly the path's, not a queue's.
    const light = await phase(1, LIGHT_MS);
    // Saturated: eight in flight per room, as many as the cluster takes.
    const full = await phase(WINDOW, MEASURE_MS);
    load.stop = true;
    return {
      name: `roomkit serve x${processes} (one PostgreSQL, one Redis), ${ROOMS} rooms`,
      processes,
      messagesPerSec: full.messagesPerSec,
      perProcessMessagesPerSec: Math.round(full.messagesPerSec / processes),
      commitsPerSec: full.commitsPerSec,
      crossProcess: processes > 1,
      idleAckMs: idle.ack,
      idleSameProcessDeliveryMs: idle.same,
      idleCrossProcessDeliveryMs: idle.cross,
      lightLoadMessagesPerSec: light.messagesPerSec,
      lightDeliveryP50Ms: light.p50,
      lightDeliveryP99Ms: light.p99,
      saturatedDeliveryP50Ms: full.p50,
      saturatedDeliveryP99Ms: full.p99,
      samples: light.samples + full.samples,
      errors: Object.fromEntries(errors),
    };
  } finally {
    for (const socket of sockets) socket.terminate();
    await cluster.stop();
  }
}

/**
 * Median latencies with nothing else going on: a message every 150 ms in a room of its own, from
 * send to its ack, to a client on the same process, and to a client on another process.
 */
async function idleLatency(
  cluster: ServeCluster,
  nodes: ServeNode[],
  sockets: WebSocket[],
): Promise<{ ack: number; same: number; cross: number }> {
  await cluster.api(nodes[0]!, '/api/rooms', { method: 'POST', body: JSON.stringify({ roomId: 'idle' }) });
  const sender = await join(nodes[0]!, 'idle', sockets);
  const same = await join(nodes[0]!, 'idle', sockets);
  const other = await join(nodes[nodes.length - 1]!, 'idle', sockets);
  const times = { ack: [] as number[], same: [] as number[], cross: [] as number[] };
  let sentAt = 0;
  const watch = (socket: WebSocket, into: number[]) =>
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'event' && frame.event.source.channelId === 'web') into.push(now() - sentAt);
    });
  watch(same, times.same);
  watch(other, times.cross);
  for (let i = 0; i < 30; i++) {
    const acked = new Promise<void>((resolve) => {
      const onFrame = (data: Buffer) => {
        if (JSON.parse(data.toString()).type !== 'ack') return;
        sender.off('message', onFrame);
        resolve();
      };
      sender.on('message', onFrame);
    });
    sentAt = now();
    sender.send(
      JSON.stringify({ type: 'message', roomId: 'idle', content: { type: 'text', body: `${now()} ping` } }),
    );
    await Promise.race([acked, sleep(5000)]);
    times.ack.push(now() - sentAt);
    await sleep(150);
  }
  const median = (xs: number[]) =>
    round(
      percentile(
        xs.sort((a, b) => a - b),
        0.5,
      ),
    );
  return { ack: median(times.ack), same: median(times.same), cross: median(times.cross) };
}

/**
 * The room lock, both ways: one lock and unlock with nobody else waiting, and how long a room
 * stays locked after its holder dies (PostgreSQL frees a dead session's advisory locks at once; a
 * Redis lock must be given a time to live, and a dead holder's lock lasts until it passes).
 */
async function lockEvidence(): Promise<Record<string, unknown>> {
  const schema = uniqueName('rk_lockbench');
  const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
  const redis = new Redis(REDIS_URL);
  const proxy = new TcpProxy(new URL(DATABASE_URL).hostname, Number(new URL(DATABASE_URL).port || 5432));
  try {
    const { locks } = store.coordination();
    const pgTimes = await timeEach(1000, () => locks.withLock('room', async () => {}));
    const ttlMs = 2000;
    const release = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
    const redisTimes = await timeEach(1000, async () => {
      const token = randomUUID();
      while ((await redis.set('rk:lockbench', token, 'PX', ttlMs, 'NX')) !== 'OK') await sleep(1);
      await redis.eval(release, 1, 'rk:lockbench', token);
    });
    // A holder dies while holding the lock: how long until someone else gets the room?
    await proxy.start();
    const url = new URL(DATABASE_URL);
    url.port = String(proxy.port);
    const dying = new PostgresStore({ connectionString: url.toString(), schema });
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    void dying
      .coordination()
      .locks.withLock('room', async () => {
        held();
        await new Promise(() => {});
      })
      .catch(() => {});
    await holding;
    proxy.cut();
    const t0 = now();
    await locks.withLock('room', async () => {});
    const pgTakeoverMs = now() - t0;
    await dying.close();
    await redis.set('rk:lockbench', 'dead-holder', 'PX', ttlMs);
    const t1 = now();
    while ((await redis.set('rk:lockbench', 'next', 'PX', ttlMs, 'NX')) !== 'OK') await sleep(10);
    const redisTakeoverMs = now() - t1;
    await redis.del('rk:lockbench');
    return {
      name: 'room lock: PostgreSQL advisory lock vs Redis SET NX PX + compare-and-delete',
      pgLockUnlockMeanMs: round(mean(pgTimes)),
      pgLockUnlockP99Ms: round(percentile(pgTimes, 0.99)),
      redisLockUnlockMeanMs: round(mean(redisTimes)),
      redisLockUnlockP99Ms: round(percentile(redisTimes, 0.99)),
      pgDeadHolderReleasedAfterMs: round(pgTakeoverMs),
      redisDeadHolderReleasedAfterMs: round(redisTakeoverMs),
      redisTtlMs: ttlMs,
    };
  } finally {
    redis.disconnect();
    await proxy.close();
    await store.close();
    await dropSchema(schema);
  }
}

async function join(node: ServeNode, roomId: string, sockets: WebSocket[]): Promise<WebSocket> {
  const socket = new WebSocket(node.wsUrl, { headers: { origin: node.url } });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const joined = new Promise<void>((resolve) => {
    const onFrame = (data: Buffer) => {
      if (JSON.parse(data.toString()).type !== 'joined') return;
      socket.off('message', onFrame);
      resolve();
    };
    socket.on('message', onFrame);
  });
  socket.send(JSON.stringify({ type: 'join', roomId, history: 0 }));
  await Promise.race([joined, sleep(10_000).then(() => Promise.reject(new Error(`no join of ${roomId}`)))]);
  return socket;
}

async function commits(schema: string): Promise<number> {
  const { rows } = await adminQuery(`SELECT coalesce(sum(event_count), 0)::int AS n FROM "${schema}".rooms`);
  return rows[0].n as number;
}

async function timeEach(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = now();
    await fn();
    out.push(now() - t);
  }
  return out.sort((a, b) => a - b);
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN;
const round = (x: number) => Math.round(x * 100) / 100;
