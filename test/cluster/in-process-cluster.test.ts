import { afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  type ChannelBinding,
  type ChannelOutput,
  ChannelCategory,
  ChannelType,
  type DeliveryContext,
  InMemoryLockManager,
  MemoryStore,
  type RoomEvent,
  RoomKit,
} from '../../src/index.js';
import { InMemoryLeases, type LeaseTable } from '../../src/core/cluster/leases.js';
import { InMemoryPubSub } from '../../src/core/cluster/pubsub.js';
import { EchoAgent, RecordingChannel, text } from '../helpers/channels.js';

/**
 * The cluster logic with every shared part in one process: kits sharing a MemoryStore, an
 * InMemoryPubSub, one lock manager and one lease table behave as processes of a cluster. The same
 * scenarios run across real processes over PostgreSQL and Redis in test/cluster/serve-cluster.
 */

/** A per-process channel (like WebSocketChannel): every process delivers to its own clients. */
class Clients extends RecordingChannel {
  readonly deltas: string[] = [];
  constructor() {
    super('web', { type: ChannelType.WEBSOCKET, capabilities: { multiplexed: true, streaming: true } });
  }
  override async deliverStreamDelta(delta: { text: string; done: boolean }): Promise<void> {
    if (!delta.done) this.deltas.push(delta.text);
  }
}

/** An AI that streams its reply word by word. */
class StreamingAgent extends Channel {
  override readonly category = ChannelCategory.INTELLIGENCE;
  readonly channelType = ChannelType.AI;
  readonly seen: RoomEvent[] = [];
  constructor() {
    super('streamer');
  }
  override async onEvent(event: RoomEvent): Promise<ChannelOutput> {
    this.seen.push(event);
    async function* words() {
      for (const w of ['streamed ', 'reply']) {
        await new Promise((r) => setTimeout(r, 5));
        yield w;
      }
    }
    return { responseStream: words() };
  }
}

interface Node {
  kit: RoomKit;
  web: Clients;
  ai: EchoAgent;
  sms: RecordingChannel;
  leases: InMemoryLeases;
}

const kits: RoomKit[] = [];
afterEach(async () => {
  for (const kit of kits.splice(0)) await kit.close();
});

function cluster(size: number, opts: { timers?: boolean; scanIntervalMs?: number } = {}) {
  const shared = {
    store: new MemoryStore(),
    pubsub: new InMemoryPubSub(),
    lockManager: new InMemoryLockManager(),
    table: new Map() as LeaseTable,
  };
  const nodes: Node[] = [];
  for (let i = 0; i < size; i++) {
    const leases = new InMemoryLeases(shared.table);
    const kit = new RoomKit({
      store: shared.store,
      pubsub: shared.pubsub,
      lockManager: shared.lockManager,
      leases,
      cluster: { scanIntervalMs: opts.scanIntervalMs ?? 50, gapFillMs: 20 },
      defaultRoomTimers: opts.timers ? { inactiveAfterMs: 150 } : undefined,
    });
    kits.push(kit);
    const node = {
      kit,
      web: new Clients(),
      ai: new EchoAgent('ai'),
      sms: new RecordingChannel('sms'),
      leases,
    };
    kit.registerChannel(node.web);
    kit.registerChannel(node.ai);
    kit.registerChannel(node.sms);
    nodes.push(node);
  }
  return { nodes, ...shared };
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function room(a: Node, id = 'r'): Promise<void> {
  await a.kit.createRoom({ roomId: id });
  await a.kit.attachChannel(id, 'web');
  await a.kit.attachChannel(id, 'ai', { category: ChannelCategory.INTELLIGENCE });
  await a.kit.attachChannel(id, 'sms');
  await until(() => a.kit.cluster!.owns(id), 'the creator owns the room');
}

const indices = (events: RoomEvent[]) => events.map((e) => e.index);
const isAscending = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

describe('a cluster of kits (in one process)', () => {
  it('delivers every event to every process in index order; the owner alone answers and texts', async () => {
    const { nodes, store } = cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    await room(a);
    await b.kit.getRoom('r');
    await c.kit.getRoom('r');
    // Messages through all three processes at once.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        [a, b, c][i % 3]!.kit.processInbound({
          channelId: 'web',
          roomId: 'r',
          senderId: `u${i % 3}`,
          content: text(`m${i}`),
        }),
      ),
    );
    await until(() => a.ai.seen.length === 30, 'every message reaches the AI');
    const total = 60; // 30 messages + 30 answers
    for (const node of nodes)
      await until(() => node.web.got.length === total, 'every event on every process');
    for (const node of nodes) {
      expect(indices(node.web.got)).toEqual(Array.from({ length: total }, (_, i) => i));
    }
    expect(b.ai.seen.length + c.ai.seen.length).toBe(0);
    expect(b.sms.got.length + c.sms.got.length).toBe(0);
    await until(() => a.sms.got.length === total, 'the owner texts everything once');
    expect(indices(a.sms.got)).toEqual(Array.from({ length: total }, (_, i) => i));
    const answers = (await store.listEvents('r')).filter((e) => e.responseTo);
    expect(new Set(answers.map((e) => e.responseTo)).size).toBe(30);
    expect(answers).toHaveLength(30);
  });

  it('carries typing, presence, receipts and streamed reply text between processes', async () => {
    const { nodes } = cluster(2);
    const [a, b] = nodes as [Node, Node];
    const streamer = new StreamingAgent();
    a.kit.registerChannel(streamer);
    b.kit.registerChannel(new StreamingAgent());
    await room(a);
    await a.kit.attachChannel('r', 'streamer', { category: ChannelCategory.INTELLIGENCE });
    await a.kit.detachChannel('r', 'ai');
    await b.kit.getRoom('r');
    const seen: string[] = [];
    a.kit.subscribeEphemeral('r', (e) => void seen.push(`${e.type}:${e.participantId}`));
    b.kit.setTyping('r', 'bob', true);
    b.kit.setPresence('r', 'bob', 'online');
    b.kit.markRead('r', 'bob', 'evt-1');
    await until(() => seen.length === 3, 'ephemeral events from the other process');
    expect(seen).toEqual(['typing:bob', 'presence:bob', 'read_receipt:bob']);
    // B's clients see A's AI reply stream live, then the committed reply.
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', senderId: 'bob', content: text('hello') });
    await until(() => b.web.texts().includes('streamed reply'), 'the committed streamed reply on B');
    expect(b.web.deltas).toEqual(['streamed ', 'reply']);
    expect(streamer.seen).toHaveLength(1);
  });

  it('learns of rooms created elsewhere from the store, and of their changes from the others', async () => {
    const { nodes } = cluster(2);
    const [a, b] = nodes as [Node, Node];
    await room(a);
    expect((await b.kit.getRoom('r'))?.status).toBe('active');
    expect((await b.kit.getBinding('r', 'sms'))?.muted).toBe(false);
    await a.kit.mute('r', 'sms');
    await until(() => b.kit.peekBinding('r', 'sms')?.muted === true, 'B sees the mute');
    await a.kit.closeRoom('r');
    const result = await b.kit.processInbound({ channelId: 'web', roomId: 'r', content: text('too late') });
    expect(result).toMatchObject({ blocked: true, reason: 'room_closed' });
  });

  it('hands a room to another process when its owner dies, which answers what was left unanswered', async () => {
    const { nodes, store } = cluster(2);
    const [a, b] = nodes as [Node, Node];
    await room(a);
    await b.kit.getRoom('r');
    await b.kit.recover(); // starts B's scan for orphaned rooms
    // A is answering q1 when it dies: its leases end (a dead database session).
    (a.ai as Channel).onEvent = (_event: RoomEvent, _binding: ChannelBinding, ctx: DeliveryContext) =>
      new Promise<ChannelOutput>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', senderId: 'bob', content: text('q1') });
    a.leases.crash();
    await until(() => b.kit.cluster!.owns('r'), 'B takes the room over');
    await until(() => b.ai.seen.length === 1, 'B answers q1');
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', senderId: 'bob', content: text('q2') });
    await until(() => b.ai.seen.length === 2, 'B answers q2');
    await b.kit.waitForIdle();
    const events = await store.listEvents('r');
    const answers = events.filter((e) => e.responseTo);
    expect(answers.map((e) => (e.content as { body: string }).body)).toEqual(['re: q1', 're: q2']);
  });

  it('hands its rooms over at once when it shuts down cleanly (no scan needed)', async () => {
    const { nodes } = cluster(2, { scanIntervalMs: 60_000 });
    const [a, b] = nodes as [Node, Node];
    await room(a);
    await b.kit.getRoom('r');
    await b.kit.recover();
    await a.kit.close();
    await until(() => b.kit.cluster!.owns('r'), 'B owns the room right after A closed', 2000);
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', content: text('still answered') });
    await until(() => b.ai.seen.length === 1, 'B answers');
  });

  it('fires a room timer once in the whole cluster', async () => {
    const { nodes } = cluster(3, { timers: true });
    const [a, b, c] = nodes as [Node, Node, Node];
    const paused: string[] = [];
    for (const [name, node] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const) {
      node.kit.on('room_paused', () => void paused.push(name));
    }
    await room(a);
    await b.kit.getRoom('r');
    await c.kit.getRoom('r');
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', content: text('hi') });
    await until(() => paused.length === 1, 'the room pauses', 3000);
    await new Promise((r) => setTimeout(r, 400));
    expect(paused).toEqual(['a']);
    expect((await c.kit.getRoom('r'))?.status).toBe('paused');
  });

  it('catches up from the store, in order, after pub/sub loses messages', async () => {
    const { nodes, pubsub } = cluster(2);
    const [a, b] = nodes as [Node, Node];
    await room(a);
    await a.kit.detachChannel('r', 'ai');
    await b.kit.getRoom('r');
    await b.kit.processInbound({ channelId: 'web', roomId: 'r', content: text('before') });
    await until(() => a.web.got.length === 1, 'A hears B');
    pubsub.disconnect();
    for (let i = 0; i < 5; i++)
      await b.kit.processInbound({ channelId: 'web', roomId: 'r', content: text(`lost ${i}`) });
    await new Promise((r) => setTimeout(r, 50));
    expect(a.web.got).toHaveLength(1); // nothing arrived
    pubsub.connect();
    await until(() => a.web.got.length === 6, 'A catches up from the store');
    expect(indices(a.web.got)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(isAscending(indices(b.web.got))).toBe(true);
  });
});
