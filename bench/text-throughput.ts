import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Channel,
  type ChannelOutput,
  type ConversationStore,
  HookResult,
  HookTrigger,
  type Logger,
  MemoryStore,
  RoomKit,
} from '../src/index.js';
import { SqliteStore } from '../src/store/sqlite/index.js';

/**
 * The reference text workload: 20,000 inbound text messages, three transport channels per
 * room (the sender and another with a no-op send, one counting). Throughput is reported
 * overall and per quarter, which must stay flat as the room grows.
 */

const TOTAL = 20_000;

class NoopChannel extends Channel {
  readonly channelType = 'websocket';
  override async deliver(): Promise<ChannelOutput> {
    return {};
  }
}

class CountingChannel extends Channel {
  readonly channelType = 'webhook';
  count = 0;
  override async deliver(): Promise<ChannelOutput> {
    this.count++;
    return {};
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

interface Case {
  name: string;
  rooms: number;
  store: () => ConversationStore;
  hook: boolean;
  /** Messages in flight at once per room (1 = each waits for the previous). */
  inFlight: number;
}

async function runCase(c: Case, total = TOTAL): Promise<Record<string, unknown>> {
  const kit = new RoomKit({ store: c.store(), logger: silent });
  const counter = new CountingChannel('counter');
  kit.registerChannel(new NoopChannel('sender'));
  kit.registerChannel(new NoopChannel('peer'));
  kit.registerChannel(counter);
  if (c.hook) kit.hook(HookTrigger.BEFORE_BROADCAST, () => HookResult.allow(), { name: 'noop-sync-hook' });
  const roomIds = Array.from({ length: c.rooms }, (_, i) => `bench-${i}`);
  for (const id of roomIds) {
    await kit.createRoom({ roomId: id });
    for (const ch of ['sender', 'peer', 'counter']) await kit.attachChannel(id, ch);
  }
  const perRoom = total / c.rooms;
  const quarterMarks: number[] = [];
  let done = 0;
  const start = performance.now();
  const tick = () => {
    done++;
    if (done % (total / 4) === 0) quarterMarks.push(performance.now());
  };
  await Promise.all(
    roomIds.flatMap((roomId) =>
      Array.from({ length: c.inFlight }, async (_, lane) => {
        for (let i = lane; i < perRoom; i += c.inFlight) {
          await kit.processInbound({
            channelId: 'sender',
            roomId,
            content: { type: 'text', body: `message ${i}` },
          });
          tick();
        }
      }),
    ),
  );
  await kit.waitForIdle();
  const elapsed = performance.now() - start;
  const quarters = quarterMarks.map((t, i) =>
    Math.round(total / 4 / ((t - (i === 0 ? start : quarterMarks[i - 1]!)) / 1000)),
  );
  const stored = (await Promise.all(roomIds.map((id) => kit.store.countEvents(id)))).reduce(
    (a, b) => a + b,
    0,
  );
  await kit.close();
  if (counter.count !== total || stored !== total)
    throw new Error(`${c.name}: delivered ${counter.count}, stored ${stored}`);
  return {
    bench: 'text_throughput',
    case: c.name,
    messages: total,
    rooms: c.rooms,
    store: c.name.includes('sqlite') ? 'sqlite' : 'memory',
    syncHook: c.hook,
    inFlightPerRoom: c.inFlight,
    msgPerSec: Math.round(total / (elapsed / 1000)),
    msgPerSecByQuarter: quarters,
  };
}

export async function benchTextThroughput(): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-bench-'));
  const memory = () => new MemoryStore();
  const cases: Case[] = [
    { name: '1 room, memory', rooms: 1, store: memory, hook: false, inFlight: 1 },
    { name: '1 room, memory, sync hook', rooms: 1, store: memory, hook: true, inFlight: 1 },
    { name: '1 room, memory, 32 in flight', rooms: 1, store: memory, hook: false, inFlight: 32 },
    { name: '40 rooms, memory', rooms: 40, store: memory, hook: false, inFlight: 1 },
    { name: '40 rooms, memory, sync hook', rooms: 40, store: memory, hook: true, inFlight: 1 },
    {
      name: '1 room, sqlite',
      rooms: 1,
      store: () => new SqliteStore({ path: join(dir, 'a.db') }),
      hook: false,
      inFlight: 1,
    },
  ];
  const out: Record<string, unknown>[] = [];
  try {
    // Warm the JIT so the first quarter measures the framework, not the compiler.
    await runCase({ ...cases[0]!, name: 'warm-up' }, 4_000);
    for (const c of cases) out.push(await runCase(c));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
