import { loadavg } from 'node:os';
import {
  Channel,
  type ChannelOutput,
  type ConversationStore,
  HookResult,
  HookTrigger,
  RoomKit,
} from '../src/index.js';
import { silentLogger } from '../src/core/logger.js';

/**
 * The reference text workload shared by the text benches: rooms with three transport channels
 * (the sender and a peer with a no-op send, and one that counts), messages sent through
 * `processInbound`, and a clock that reads both wall time and this process's CPU time.
 *
 * CPU time matters because this machine is shared: with other work running, wall-clock
 * throughput says as much about the neighbours as about us, while messages per CPU-second of
 * the bench process (`process.cpuUsage()`, GC threads included) stays comparable between runs.
 */

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

export interface Workload {
  kit: RoomKit;
  roomIds: string[];
  /** Deliveries the counting channel received. */
  delivered(): number;
}

export async function setUp(store: ConversationStore, rooms: number, hook: boolean): Promise<Workload> {
  const kit = new RoomKit({ store, logger: silentLogger });
  const counter = new CountingChannel('counter');
  kit.registerChannel(new NoopChannel('sender'));
  kit.registerChannel(new NoopChannel('peer'));
  kit.registerChannel(counter);
  if (hook) kit.hook(HookTrigger.BEFORE_BROADCAST, () => HookResult.allow(), { name: 'noop-sync-hook' });
  const roomIds = Array.from({ length: rooms }, (_, i) => `bench-${i}`);
  for (const id of roomIds) {
    await kit.createRoom({ roomId: id });
    for (const ch of ['sender', 'peer', 'counter']) await kit.attachChannel(id, ch);
  }
  return { kit, roomIds, delivered: () => counter.count };
}

/**
 * Send `total` messages spread over the rooms, `inFlight` at a time per room (1: each waits for
 * the previous one's delivery). `tick(done)` runs after each acknowledged message.
 */
export async function drive(
  w: Workload,
  total: number,
  inFlight: number,
  tick: (done: number) => void = () => {},
): Promise<void> {
  const perRoom = total / w.roomIds.length;
  let done = 0;
  await Promise.all(
    w.roomIds.flatMap((roomId) =>
      Array.from({ length: inFlight }, async (_, lane) => {
        for (let i = lane; i < perRoom; i += inFlight) {
          await w.kit.processInbound({
            channelId: 'sender',
            roomId,
            content: { type: 'text', body: `message ${i}` },
          });
          tick(++done);
        }
      }),
    ),
  );
  await w.kit.waitForIdle();
}

/** Wall and CPU time since a mark. */
export class Stopwatch {
  private wall = performance.now();
  private cpu = process.cpuUsage();

  /** Throughput of `messages` since the last lap, and start the next lap. */
  lap(messages: number): { msgPerSec: number; msgPerCpuSec: number; cpuMicrosPerMsg: number } {
    const wallS = (performance.now() - this.wall) / 1000;
    const used = process.cpuUsage(this.cpu);
    const cpuS = (used.user + used.system) / 1e6;
    this.wall = performance.now();
    this.cpu = process.cpuUsage();
    return {
      msgPerSec: Math.round(messages / wallS),
      msgPerCpuSec: Math.round(messages / cpuS),
      cpuMicrosPerMsg: Number(((cpuS * 1e6) / messages).toFixed(2)),
    };
  }
}

/** The machine's 1-minute load average, rounded: printed with every figure (2 cores shared). */
export function load(): number {
  return Number(loadavg()[0]!.toFixed(2));
}
