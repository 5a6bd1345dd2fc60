import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConversationStore, MemoryStore } from '../src/index.js';
import { SqliteStore, type SqliteSynchronous } from '../src/store/sqlite/index.js';
import { drive, load, Stopwatch, setUp } from './text-workload.js';

/**
 * The reference text workload: 20,000 inbound text messages per case, three transport channels
 * per room (see text-workload.ts). Each line reports wall-clock throughput, messages per
 * CPU-second of this process (comparable on a loaded machine) and the load average around the
 * run. Then the room-size curve: throughput into one room measured when it holds 1k, 10k and
 * 100k events, which must stay flat.
 */

const TOTAL = 20_000;

interface Case {
  name: string;
  rooms: number;
  store: 'memory' | 'sqlite';
  synchronous?: SqliteSynchronous;
  hook?: boolean;
  /** Messages in flight at once per room (1 = each waits for the previous). */
  inFlight?: number;
}

const CASES: Case[] = [
  { name: '1 room, memory', rooms: 1, store: 'memory' },
  { name: '1 room, memory, sync hook', rooms: 1, store: 'memory', hook: true },
  { name: '1 room, memory, 32 in flight', rooms: 1, store: 'memory', inFlight: 32 },
  { name: '40 rooms, memory', rooms: 40, store: 'memory' },
  { name: '40 rooms, memory, sync hook', rooms: 40, store: 'memory', hook: true },
  { name: '1 room, sqlite', rooms: 1, store: 'sqlite' },
  { name: '1 room, sqlite, 32 in flight', rooms: 1, store: 'sqlite', inFlight: 32 },
  { name: '40 rooms, sqlite', rooms: 40, store: 'sqlite' },
  { name: '40 rooms, sqlite, synchronous=full', rooms: 40, store: 'sqlite', synchronous: 'full' },
];

/**
 * Room sizes at which the curve measures, and messages per measurement. With one window of
 * 5,000 messages (35 ms in memory), one major GC landing in it made that point 4-5x slower
 * than its neighbours, at a different size each run; the median of four parts of a longer
 * window still did (marking a 100k-event heap on a helper thread spans most of a window). So
 * a point is the window's fastest part, the per-message cost that history could make grow,
 * with the whole window's figures beside it, GC included. A forced full collection before
 * each window was worse: it shrinks the young generation, and every point ran at half speed.
 */
const CURVE_SIZES = [1_000, 30_000, 100_000];
const CURVE_WINDOW = 20_000;
/** A point is the fastest of this many parts of its window, with the whole window beside it. */
const CURVE_PARTS = 4;

function makeStore(c: Pick<Case, 'store' | 'synchronous'>, dir: string): ConversationStore {
  if (c.store === 'memory') return new MemoryStore();
  return new SqliteStore({
    path: join(dir, `${Math.random().toString(36).slice(2)}.db`),
    synchronous: c.synchronous,
  });
}

async function runCase(c: Case, dir: string, total = TOTAL): Promise<Record<string, unknown>> {
  const w = await setUp(makeStore(c, dir), c.rooms, c.hook === true);
  const inFlight = c.inFlight ?? 1;
  const loadBefore = load();
  const quarters: number[] = [];
  const quarterClock = new Stopwatch();
  const clock = new Stopwatch();
  await drive(w, total, inFlight, (done) => {
    if (done % (total / 4) === 0) quarters.push(quarterClock.lap(total / 4).msgPerSec);
  });
  const figures = clock.lap(total);
  const stored = (await Promise.all(w.roomIds.map((id) => w.kit.store.countEvents(id)))).reduce(
    (a, b) => a + b,
    0,
  );
  await w.kit.close();
  if (w.delivered() !== total || stored !== total)
    throw new Error(`${c.name}: delivered ${w.delivered()}, stored ${stored} of ${total}`);
  return {
    bench: 'text_throughput',
    case: c.name,
    messages: total,
    rooms: c.rooms,
    store: c.store,
    ...(c.synchronous ? { synchronous: c.synchronous } : {}),
    syncHook: c.hook === true,
    inFlightPerRoom: inFlight,
    ...figures,
    msgPerSecByQuarter: quarters,
    loadAvg: [loadBefore, load()],
  };
}

/**
 * One room grown to 100k events, one message at a time: throughput over CURVE_WINDOW messages
 * starting at each of CURVE_SIZES. Flat means the per-message cost does not depend on history.
 */
async function runCurve(store: 'memory' | 'sqlite', dir: string): Promise<Record<string, unknown>> {
  // A short run first, on a kit of its own: the first window then measures the room, not the
  // collection of what the previous case left behind.
  const warm = await setUp(makeStore({ store }, dir), 1, false);
  await drive(warm, 5_000, 1);
  await warm.kit.close();
  const w = await setUp(makeStore({ store }, dir), 1, false);
  const total = CURVE_SIZES[CURVE_SIZES.length - 1]! + CURVE_WINDOW;
  const points: Record<string, unknown>[] = [];
  const loadBefore = load();
  let whole: Stopwatch | undefined;
  let part: Stopwatch | undefined;
  let parts: ReturnType<Stopwatch['lap']>[] = [];
  let from = 0;
  const partSize = CURVE_WINDOW / CURVE_PARTS;
  await drive(w, total, 1, (done) => {
    if (CURVE_SIZES.includes(done)) {
      whole = new Stopwatch();
      part = new Stopwatch();
      parts = [];
      from = done;
    } else if (whole && part && (done - from) % partSize === 0 && done - from <= CURVE_WINDOW) {
      parts.push(part.lap(partSize));
      if (done - from < CURVE_WINDOW) return;
      const fastest = parts.reduce((x, y) => (y.cpuMicrosPerMsg < x.cpuMicrosPerMsg ? y : x));
      points.push({
        eventsInRoom: from,
        ...fastest,
        whole: whole.lap(CURVE_WINDOW),
        loadAvg: load(),
      });
      whole = part = undefined;
    }
  });
  const stored = await w.kit.store.countEvents(w.roomIds[0]!);
  await w.kit.close();
  if (w.delivered() !== total || stored !== total)
    throw new Error(`curve (${store}): delivered ${w.delivered()}, stored ${stored} of ${total}`);
  const rates = points.map((p) => p.msgPerCpuSec as number);
  const wholeRates = points.map((p) => (p.whole as { msgPerCpuSec: number }).msgPerCpuSec);
  return {
    bench: 'text_room_size_curve',
    case: `1 room, ${store}, growing to ${total} events`,
    store,
    windowMessages: CURVE_WINDOW,
    windowParts: CURVE_PARTS,
    points,
    // Messages per CPU-second (fastest part) at the largest size over the smallest: 1.0 is flat.
    flatness: Number((rates[rates.length - 1]! / rates[0]!).toFixed(2)),
    // The same with whole windows, GC included.
    flatnessWhole: Number((wholeRates[wholeRates.length - 1]! / wholeRates[0]!).toFixed(2)),
    loadAvg: [loadBefore, load()],
  };
}

export async function benchTextThroughput(): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-bench-'));
  const out: Record<string, unknown>[] = [];
  try {
    // Warm the JIT (with and without a hook) so the first quarter measures the framework, not
    // the compiler: V8 optimises a function after thousands of calls, not hundreds.
    await runCase({ ...CASES[0]!, name: 'warm-up' }, dir, 20_000);
    await runCase({ ...CASES[1]!, name: 'warm-up' }, dir, 10_000);
    // Each store's cases, then its curve: an application runs one store, and the JIT specialises
    // the text path for it (measured after the other store's cases, the first window pays for
    // re-optimising).
    for (const c of CASES.filter((c) => c.store === 'memory')) out.push(await runCase(c, dir));
    out.push(await runCurve('memory', dir));
    for (const c of CASES.filter((c) => c.store === 'sqlite')) out.push(await runCase(c, dir));
    out.push(await runCurve('sqlite', dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
