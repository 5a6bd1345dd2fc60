import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AIChannel,
  ChannelCategory,
  HookResult,
  HookTrigger,
  RoomKit,
  WebSocketChannel,
  type WebSocketChannelOptions,
} from '../../src/index.js';
import { MockAIProvider } from '../../src/testing/index.js';
import { connectClient, type TestClient } from '../helpers/ws-client.js';

const USERS: Record<string, { userId: string; rooms?: string[] }> = {
  alice: { userId: 'alice' },
  bob: { userId: 'bob' },
  carol: { userId: 'carol', rooms: ['other'] },
};

let kit: RoomKit;
let ws: WebSocketChannel;
let url: string;
const clients: TestClient[] = [];

async function setup(opts: Partial<WebSocketChannelOptions> = {}): Promise<void> {
  await kit?.close();
  kit = new RoomKit();
  ws = new WebSocketChannel('ws', {
    authenticate: (_req, token) => (token ? USERS[token] : null),
    maxMessageBytes: 2048,
    ...opts,
  });
  kit.registerChannel(ws);
  const port = await ws.listen(0);
  url = `ws://127.0.0.1:${port}/ws`;
  for (const roomId of ['chat', 'other']) {
    await kit.createRoom({ roomId });
    await kit.attachChannel(roomId, 'ws');
  }
}

beforeEach(() => setup());

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await kit.close();
});

async function client(token: string, join?: string): Promise<TestClient> {
  const c = await connectClient(`${url}?token=${token}`);
  clients.push(c);
  await c.next('ready');
  if (join) {
    c.send({ type: 'join', roomId: join });
    await c.next('joined');
  }
  return c;
}

describe('WebSocketChannel', () => {
  it('refuses unauthenticated connections', async () => {
    await expect(connectClient(url)).rejects.toThrow('HTTP 401');
    await expect(connectClient(`${url}?token=mallory`)).rejects.toThrow('HTTP 401');
  });

  it('delivers a message to the other members of the room only, and acks the sender', async () => {
    const alice = await client('alice', 'chat');
    const bob = await client('bob', 'chat');
    const carol = await client('carol', 'other');
    alice.send({
      type: 'message',
      roomId: 'chat',
      clientId: 'c1',
      content: { type: 'text', body: 'hi bob' },
    });
    const ack = await alice.next('ack');
    expect(ack).toMatchObject({
      clientId: 'c1',
      blocked: false,
      event: { index: 0, source: { participantId: 'alice' } },
    });
    const got = await bob.next('event');
    expect(got.event.content).toEqual({ type: 'text', body: 'hi bob' });
    // Carol is in another room; alice does not get her own message back as an event.
    alice.send({ type: 'ping' });
    await alice.next('pong');
    carol.send({ type: 'ping' });
    await carol.next('pong');
    expect(carol.frames.filter((f) => f.type === 'event')).toHaveLength(0);
    expect(alice.frames.filter((f) => f.type === 'event')).toHaveLength(0);
  });

  it('answers bad frames with typed errors and keeps serving everyone', async () => {
    const alice = await client('alice', 'chat');
    const bob = await client('bob', 'chat');
    alice.send('{not json');
    expect(await alice.next('error')).toMatchObject({ code: 'invalid_json' });
    alice.send({ type: 'teleport' });
    expect(await alice.next('error')).toMatchObject({ code: 'unknown_type' });
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text' } });
    expect(await alice.next('error')).toMatchObject({ code: 'invalid_message' });
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'x'.repeat(5000) } });
    expect(await alice.next('error')).toMatchObject({ code: 'too_large' });
    alice.send({ type: 'message', roomId: 'other', content: { type: 'text', body: 'sneaky' } });
    expect(await alice.next('error')).toMatchObject({ code: 'not_joined' });
    alice.socket.send(Buffer.from([1, 2, 3]));
    expect(await alice.next('error')).toMatchObject({ code: 'invalid_message' });
    // The socket survived all that, and so did the room.
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'still here' } });
    expect((await bob.next('event')).event.content.body).toBe('still here');
    expect(await kit.store.countEvents('chat')).toBe(1);
  });

  it('forbids rooms outside the allowed list and unknown rooms', async () => {
    const carol = await client('carol');
    carol.send({ type: 'join', roomId: 'chat' });
    expect(await carol.next('error')).toMatchObject({ code: 'forbidden' });
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'nope' });
    expect(await alice.next('error')).toMatchObject({ code: 'room_not_found' });
  });

  it('sends history on join and streams AI replies live', async () => {
    const ai = new AIChannel('ai', {
      provider: new MockAIProvider({ responses: ['hello alice, nice day'], streaming: true }),
    });
    kit.registerChannel(ai);
    await kit.attachChannel('chat', 'ai', { category: ChannelCategory.INTELLIGENCE });
    const alice = await client('alice', 'chat');
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'hi ai' } });
    const reply = await alice.next((f) => f.type === 'event' && f.event.source.channelId === 'ai');
    expect(reply.event.content.body).toBe('hello alice, nice day');
    const deltas = alice.frames.filter((f) => f.type === 'stream' && !f.done).map((f) => f.text);
    expect(deltas.join('')).toBe('hello alice, nice day');
    const late = await client('bob');
    late.send({ type: 'join', roomId: 'chat' });
    const joined = await late.next('joined');
    expect(joined.events.map((e: any) => e.content.body)).toEqual(['hi ai', 'hello alice, nice day']);
  });

  it('forwards typing to the other members of the room', async () => {
    const alice = await client('alice', 'chat');
    const bob = await client('bob', 'chat');
    alice.send({ type: 'typing', roomId: 'chat', typing: true });
    const frame = await bob.next('ephemeral');
    expect(frame.event).toMatchObject({
      type: 'typing',
      roomId: 'chat',
      participantId: 'alice',
      data: { typing: true },
    });
  });

  it('survives a client dropping mid-conversation', async () => {
    const alice = await client('alice', 'chat');
    const bob = await client('bob', 'chat');
    bob.socket.terminate();
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'anyone?' } });
    expect((await alice.next('ack')).blocked).toBe(false);
    expect(ws.connections.size).toBe(1);
  });
});

/** Posts `n` messages of `chars` characters into a room as another channel would store them. */
async function fill(roomId: string, n: number, chars: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await kit.sendEvent(roomId, 'ws', { type: 'text', body: `${i} ${'x'.repeat(chars)}` });
  }
}

describe('WebSocketChannel joins are authorized (issue 8)', () => {
  it('join does not re-attach the channel to a room it was detached from', async () => {
    await kit.detachChannel('chat', 'ws');
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'chat' });
    expect(await alice.next('error')).toMatchObject({ code: 'room_not_found' });
    expect(await kit.getBinding('chat', 'ws')).toBeUndefined();
    alice.send({ type: 'history', roomId: 'chat' });
    expect(await alice.next('error')).toMatchObject({ code: 'not_joined' });
  });

  it('a never-attached room is closed by default and opens only when authorizeJoin says so', async () => {
    await kit.createRoom({ roomId: 'private' });
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'private' });
    expect(await alice.next('error')).toMatchObject({ code: 'room_not_found' });
    expect(await kit.getBinding('private', 'ws')).toBeUndefined();

    const asked: unknown[] = [];
    await setup({
      authorizeJoin: ({ auth, room, attached }) => {
        asked.push({ user: auth.userId, room: room.id, attached });
        return auth.userId === 'alice';
      },
    });
    await kit.createRoom({ roomId: 'private' });
    const bob = await client('bob');
    bob.send({ type: 'join', roomId: 'private' });
    expect(await bob.next('error')).toMatchObject({ code: 'room_not_found' });
    const alice2 = await client('alice');
    alice2.send({ type: 'join', roomId: 'private' });
    expect(await alice2.next('joined')).toMatchObject({ roomId: 'private' });
    expect(await kit.getBinding('private', 'ws')).toBeDefined();
    // Attached rooms ask too, so an app can refuse per user.
    bob.send({ type: 'join', roomId: 'chat' });
    expect(await bob.next('error')).toMatchObject({ code: 'forbidden' });
    expect(asked).toContainEqual({ user: 'bob', room: 'chat', attached: true });
    expect(asked).toContainEqual({ user: 'alice', room: 'private', attached: false });
  });

  it('an authorizeJoin that throws refuses', async () => {
    await setup({
      authorizeJoin: () => {
        throw new Error('directory down');
      },
    });
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'chat' });
    expect(await alice.next('error')).toMatchObject({ code: 'forbidden' });
  });

  it('room-scoped tokens are enforced on join, message, history and typing', async () => {
    const carol = await client('carol', 'other');
    for (const msg of [
      { type: 'join', roomId: 'chat' },
      { type: 'message', roomId: 'chat', content: { type: 'text', body: 'let me in' } },
      { type: 'history', roomId: 'chat' },
      { type: 'typing', roomId: 'chat', typing: true },
    ]) {
      carol.send(msg);
      expect(await carol.next('error')).toMatchObject({ code: 'forbidden' });
    }
    expect(await kit.store.countEvents('chat')).toBe(0);
  });
});

describe('WebSocketChannel history is bounded (issue 8)', () => {
  it('a join asking for 500 events gets one page capped by count and bytes, and pages back', async () => {
    await setup({ maxHistoryEvents: 30, maxHistoryBytes: 40 * 1024 });
    await fill('chat', 60, 2_000);
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'chat', history: 500 });
    const joined = await alice.next('joined');
    const bytes = joined.events.reduce((n: number, e: unknown) => n + JSON.stringify(e).length, 0);
    expect(bytes).toBeLessThanOrEqual(40 * 1024);
    expect(joined.events.length).toBeGreaterThan(10);
    expect(joined.events.length).toBeLessThanOrEqual(30);
    expect(joined.events.at(-1).index).toBe(59);
    expect(joined).toMatchObject({ hasMore: true, nextBeforeIndex: joined.events[0].index });
    // Paging back reaches index 0 with no gap and no repeat.
    const seen: number[] = joined.events.map((e: { index: number }) => e.index);
    let before = joined.nextBeforeIndex;
    while (before !== undefined) {
      alice.send({ type: 'history', roomId: 'chat', beforeIndex: before, limit: 500 });
      const page = await alice.next('history');
      seen.unshift(...page.events.map((e: { index: number }) => e.index));
      before = page.hasMore ? page.nextBeforeIndex : undefined;
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('history holds only what the client could have seen live', async () => {
    const alice = await client('alice', 'chat');
    await kit.sendEvent('chat', 'ws', { type: 'text', body: 'for everyone' });
    const ai = new AIChannel('ai', { provider: new MockAIProvider({ responses: ['x'] }) });
    kit.registerChannel(ai);
    await kit.attachChannel('chat', 'ai', { category: ChannelCategory.INTELLIGENCE, visibility: 'none' });
    await kit.sendEvent(
      'chat',
      'ai',
      { type: 'text', body: 'a note between AIs' },
      { visibility: 'intelligence' },
    );
    kit.hook(HookTrigger.BEFORE_BROADCAST, async (event) =>
      event.content.type === 'text' && event.content.body === 'spam'
        ? HookResult.block('spam')
        : HookResult.allow(),
    );
    alice.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'spam' } });
    expect(await alice.next('ack')).toMatchObject({ blocked: true });
    const bodiesFor = async (who: string) => {
      const c = await client(who);
      c.send({ type: 'join', roomId: 'chat' });
      const joined = await c.next('joined');
      return joined.events.map((e: { content: { body?: string } }) => e.content.body);
    };
    const bob = await bodiesFor('bob');
    expect(bob).toContain('for everyone');
    expect(bob).not.toContain('a note between AIs');
    expect(bob).not.toContain('spam');
    // The sender still sees its own blocked message (as it saw it in the ack).
    expect(await bodiesFor('alice')).toContain('spam');
  });

  it('a frame larger than the send budget is never queued: the client hears too_large and stays', async () => {
    // Issue 8: the budget was checked before a send, so one 16 MB frame always went.
    await setup({ maxBufferedBytes: 64 * 1024, maxHistoryBytes: 1024 * 1024, maxMessageBytes: 64 * 1024 });
    await fill('chat', 20, 8_000);
    const alice = await client('alice');
    alice.send({ type: 'join', roomId: 'chat', history: 20 });
    expect(await alice.next('error')).toMatchObject({ code: 'too_large' });
    alice.send({ type: 'ping' });
    await alice.next('pong');
    expect(ws.connections.size).toBe(1);
  });

  it('a client that keeps asking without reading is disconnected at its budget', async () => {
    await setup({ maxBufferedBytes: 256 * 1024, maxHistoryBytes: 200 * 1024, maxMessageBytes: 64 * 1024 });
    await fill('chat', 40, 30_000);
    const greedy = await client('alice', 'chat');
    const fine = await client('bob', 'chat');
    const closed = new Promise<void>((resolve) => greedy.socket.once('close', () => resolve()));
    greedy.socket.pause();
    const peak = { bytes: 0 };
    const server = [...ws.connections].find((c) => c.auth.userId === 'alice')!;
    const send = server.socket.send.bind(server.socket);
    server.socket.send = ((data: never, ...rest: never[]) => {
      send(data, ...rest);
      peak.bytes = Math.max(peak.bytes, server.socket.bufferedAmount);
    }) as typeof server.socket.send;
    for (let i = 0; i < 200; i++) greedy.send({ type: 'history', roomId: 'chat', limit: 500 });
    greedy.socket.resume(); // let the client see the close once the server has dropped it
    await closed;
    expect(peak.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(ws.connections.size).toBe(1);
    fine.send({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'unaffected' } });
    expect(await fine.next('ack')).toMatchObject({ blocked: false });
  });
});
