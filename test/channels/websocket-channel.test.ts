import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, RoomKit, WebSocketChannel } from '../../src/index.js';
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

beforeEach(async () => {
  kit = new RoomKit();
  ws = new WebSocketChannel('ws', {
    authenticate: (_req, token) => (token ? USERS[token] : null),
    maxMessageBytes: 2048,
  });
  kit.registerChannel(ws);
  const port = await ws.listen(0);
  url = `ws://127.0.0.1:${port}/ws`;
  for (const roomId of ['chat', 'other']) {
    await kit.createRoom({ roomId });
    await kit.attachChannel(roomId, 'ws');
  }
});

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
