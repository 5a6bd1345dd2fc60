import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomClient } from './room-client.js';
import { ServeCluster, type ServeNode } from './serve-cluster.js';
import { until } from './services.js';

/**
 * Issue 14 acceptance: three `roomkit serve` processes on loopback, one PostgreSQL schema and one
 * Redis prefix of their own, behave as one server. Clients talk to whichever process they like
 * (as behind any load balancer); the agent is roomkit serve's local rule-based one (it streams).
 */

const cluster = new ServeCluster({ env: { ROOMKIT_LOG_LEVEL: 'info' } });
let nodes: ServeNode[];

beforeAll(async () => {
  nodes = await cluster.start(3);
}, 60_000);

afterAll(async () => {
  await cluster.stop();
}, 30_000);

describe('roomkit serve as a cluster of three processes', () => {
  it('shows every client every message in index order, whichever process it went through', async () => {
    await cluster.createRoom(nodes[0]!, 'chat');
    const [a, b, c] = await Promise.all(nodes.map((n, i) => cluster.client(n, `chat-${i}`, 'chat')));
    // Ten messages through each process, all at once.
    for (let i = 0; i < 10; i++) for (const x of [a!, b!, c!]) x.send(`${x.name} says ${i}`);
    const total = 60; // 30 messages and the agent's 30 answers
    for (const x of [a!, b!, c!])
      await x.until(() => x.contiguous === total - 1, `${x.name} sees all ${total}`);
    for (const x of [a!, b!, c!]) {
      expect(x.conflicts).toEqual([]);
      expect(x.errors).toEqual([]);
      // Live events arrive in index order (its own messages come back as acks instead).
      const live = x.liveOrder[0]!;
      expect(live).toEqual([...live].sort((p, q) => p - q));
      expect(new Set(live).size).toBe(live.length);
    }
    // Everyone saw the same timeline.
    const timeline = (x: RoomClient) =>
      [...x.seen.values()].sort((p, q) => p.index - q.index).map((e) => e.id);
    expect(timeline(b!)).toEqual(timeline(a!));
    expect(timeline(c!)).toEqual(timeline(a!));
    // The agent answered each message once, and its streamed text reached every process's clients.
    const events = [...a!.seen.values()];
    const questions = events.filter((e) => e.channelId === 'web');
    const answers = events.filter((e) => e.channelId === 'agent');
    expect(questions).toHaveLength(30);
    expect(answers.map((e) => e.responseTo).sort()).toEqual(questions.map((e) => e.id).sort());
    for (const x of [a!, b!, c!]) expect(x.streamFrames).toBeGreaterThan(0);
    // One process owns the room; the others never asked the agent.
    const owners = await Promise.all(nodes.map((n) => cluster.owned(n)));
    expect(owners.filter((rooms) => rooms.includes('chat'))).toHaveLength(1);
  }, 45_000);

  it('carries typing indicators between processes', async () => {
    await cluster.createRoom(nodes[1]!, 'typing');
    const [a, b] = await Promise.all([
      cluster.client(nodes[0]!, 'typing-a', 'typing'),
      cluster.client(nodes[2]!, 'typing-b', 'typing'),
    ]);
    a!.typing();
    await b!.until(
      () => b!.ephemeral.some((e) => e.type === 'typing' && e.participantId === 'admin'),
      'typing on B',
    );
  }, 45_000);

  it('lets a voice session on one process speak the AI replies produced on another', async () => {
    // The room is created through process 1, so process 1 owns it: its agent answers.
    await cluster.createRoom(nodes[1]!, 'call');
    await until(async () => (await cluster.owned(nodes[1]!)).includes('call'), 'process 1 owns the room');
    expect(await cluster.owned(nodes[0]!)).not.toContain('call');
    // A caller on process 0.
    const voice = new WebSocket(
      `${nodes[0]!.url.replace('http', 'ws')}/voice?token=${encodeURIComponent(nodes[0]!.token)}`,
      {
        headers: { origin: nodes[0]!.url },
      },
    );
    const frames: Array<Record<string, unknown>> = [];
    let audioBytes = 0;
    voice.on('message', (data, isBinary) => {
      if (isBinary) audioBytes += (data as Buffer).byteLength;
      else frames.push(JSON.parse(data.toString()));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        voice.once('open', () => resolve());
        voice.once('error', reject);
      });
      voice.send(JSON.stringify({ type: 'start', roomId: 'call', sampleRate: 16000 }));
      await until(() => frames.some((f) => f.type === 'ready'), 'voice session ready', 20_000);
      // Someone types in the room through process 2; process 1's agent answers; process 0 speaks it.
      const typist = await cluster.client(nodes[2]!, 'call-typist', 'call');
      typist.send('hello there');
      // The answer first (process 1's agent), then its speech on process 0: offline TTS on a
      // loaded 2-core machine (the whole suite runs beside it) may take a while, so the bounds are wide.
      await typist.until(
        () => [...typist.seen.values()].some((e) => e.channelId === 'agent'),
        'the answer',
        30_000,
      );
      const stderr = () => nodes[0]!.child.stderr().slice(-2000);
      await until(
        () => frames.some((f) => f.type === 'speaking' && f.speaking === true),
        'the caller hears speech',
        30_000,
      ).catch((error) => {
        throw new Error(`${error.message}; frames: ${JSON.stringify(frames)}; process 0 stderr: ${stderr()}`);
      });
      await until(() => audioBytes > 16_000, 'half a second of audio at 16 kHz', 30_000);
      expect(frames.filter((f) => f.type === 'error')).toEqual([]);
    } finally {
      voice.terminate();
    }
  }, 120_000);

  it('fires a room timer once in the whole cluster', async () => {
    await cluster.createRoom(nodes[2]!, 'timed', { timers: { inactiveAfterMs: 1000 } });
    const [a, b] = await Promise.all([
      cluster.client(nodes[0]!, 'timed-a', 'timed'),
      cluster.client(nodes[1]!, 'timed-b', 'timed'),
    ]);
    a!.send('one message, then silence');
    await b!.until(() => b!.contiguous >= 1, 'the message and its answer');
    const pausedLines = () =>
      nodes.map(
        (n) =>
          n.child
            .stderr()
            .split('\n')
            .filter((l) => l.includes('"msg":"room paused"') && l.includes('"roomId":"timed"')).length,
      );
    await until(() => pausedLines().reduce((x, y) => x + y, 0) >= 1, 'the room pauses', 10_000);
    await new Promise((r) => setTimeout(r, 1500)); // a second timer would have fired by now
    expect(pausedLines().reduce((x, y) => x + y, 0)).toBe(1);
    const res = await cluster.api(nodes[0]!, '/api/rooms?limit=1000');
    const rooms = ((await res.json()) as { rooms: { id: string; status: string }[] }).rooms;
    expect(rooms.find((r) => r.id === 'timed')?.status).toBe('paused');
  }, 45_000);

  it('accepts the console token any process printed on every process', async () => {
    for (const issuer of nodes) {
      for (const node of nodes) {
        const res = await fetch(`${node.url}/api/info`, {
          headers: { authorization: `Bearer ${issuer.token}` },
          signal: AbortSignal.timeout(5000),
        });
        expect(res.status).toBe(200);
        const info = (await res.json()) as {
          store: string;
          cluster: { pubsub: string };
          me: { userId: string };
        };
        expect(info).toMatchObject({
          store: 'postgres',
          cluster: { pubsub: 'redis' },
          me: { userId: 'admin' },
        });
      }
    }
  }, 45_000);
});
