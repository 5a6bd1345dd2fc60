import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { MockAIProvider } from '../../src/testing/index.js';
import { memoryLogger } from '../voice/backends/voice-ws-client.js';
import { connectClient, type TestClient } from '../helpers/ws-client.js';
import { blockSpam } from '../server/console-fixtures.js';

let server: RunningServer;
let dir: string;
let ana: string;
let admin: string;
const logger = memoryLogger();
const clients: TestClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-inspector-'));
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    // Slow streamed replies, so a reply can be stopped halfway.
    aiProvider: new MockAIProvider({
      responses: ['one two three four five six seven eight nine ten eleven twelve'],
      streaming: true,
      delayMs: 120,
    }),
    voice: false,
    logger,
  });
  ana = await server.issueToken({ user: 'ana', rooms: ['lobby'] });
  admin = server.token;
  blockSpam(server.kit);
}, 30_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request to the API; `json()` is loosely typed, as the assertions read what they need. */
const api = async (
  path: string,
  token: string,
  init: RequestInit = {},
): Promise<{ status: number; json(): Promise<any> }> =>
  fetch(`${server.url}/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

async function joined(token: string, roomId = 'lobby'): Promise<TestClient> {
  const client = await connectClient(`${server.url.replace('http', 'ws')}/ws?token=${token}`);
  clients.push(client);
  client.send({ type: 'join', roomId });
  await client.next('joined');
  return client;
}

describe('the inspector API', () => {
  it('shows a room: bindings, participants, live voice sessions; only to tokens with the room', async () => {
    const res = await api('/rooms/lobby/inspect', ana);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.room).toMatchObject({ id: 'lobby', status: 'active' });
    expect(body.bindings.map((b: { channelId: string }) => b.channelId).sort()).toEqual(['agent', 'web']);
    expect(body.bindings.find((b: { channelId: string }) => b.channelId === 'agent')).toMatchObject({
      category: 'intelligence',
      access: 'read_write',
      muted: false,
      visibility: 'all',
    });
    expect(body).toMatchObject({ voice: [], generating: 0, tracesKept: true });
    await server.kit.createRoom({ roomId: 'private' });
    expect((await api('/rooms/private/inspect', ana)).status).toBe(403);
    expect((await api('/rooms/nowhere/inspect', admin)).status).toBe(404);
    expect((await fetch(`${server.url}/api/rooms/lobby/inspect`)).status).toBe(401);
  });

  it("keeps each event's hook decisions and deliveries: allowed, and blocked with the hook's name", async () => {
    const client = await joined(ana);
    client.send({
      type: 'message',
      roomId: 'lobby',
      clientId: 'a',
      content: { type: 'text', body: 'buy spam now' },
    });
    const blocked = await client.next((f) => f.type === 'ack' && f.clientId === 'a');
    expect(blocked).toMatchObject({ blocked: true, event: { status: 'blocked', blockedBy: 'spam-filter' } });
    const trace = await (await api(`/rooms/lobby/events/${blocked.event.id}/trace`, ana)).json();
    expect(trace.trace.hooks).toMatchObject([
      { hook: 'spam-filter', decision: 'block', reason: 'looks like spam' },
    ]);
    expect(trace.trace.deliveries).toEqual([]);
    expect(trace.trace.hooks[0].durationMs).toBeGreaterThanOrEqual(0);

    client.send({
      type: 'message',
      roomId: 'lobby',
      clientId: 'b',
      content: { type: 'text', body: 'hello' },
    });
    const ok = await client.next((f) => f.type === 'ack' && f.clientId === 'b');
    await client.next((f) => f.type === 'event' && f.event.source.channelId === 'agent', 10_000);
    const { traces } = await (await api(`/rooms/lobby/traces?since=${ok.event.index}`, ana)).json();
    const mine = traces.find((t: { eventId: string }) => t.eventId === ok.event.id);
    expect(mine.hooks).toMatchObject([{ hook: 'spam-filter', decision: 'allow' }]);
    expect(
      mine.deliveries
        .map((d: { channelId: string; outcome: string }) => `${d.channelId}:${d.outcome}`)
        .sort(),
    ).toEqual(['agent:delivered', 'web:delivered']);
    expect(traces.every((t: { index: number }) => t.index >= ok.event.index)).toBe(true);
    expect((await api('/rooms/lobby/events/evt_unknown/trace', ana)).status).toBe(404);
  }, 20_000);

  it('stop ends the reply being generated: the text so far is kept, and no failure is reported', async () => {
    const client = await joined(ana);
    client.send({
      type: 'message',
      roomId: 'lobby',
      clientId: 's',
      content: { type: 'text', body: 'count for me' },
    });
    await client.next((f) => f.type === 'stream' && f.text, 10_000);
    const inspect = await (await api('/rooms/lobby/inspect', ana)).json();
    expect(inspect.generating).toBe(1);
    const res = await api('/rooms/lobby/stop', ana, { method: 'POST' });
    expect(await res.json()).toEqual({ stopped: 1 });
    const reply = await client.next((f) => f.type === 'event' && f.event.source.channelId === 'agent', 5_000);
    expect(reply.event.content.body).toMatch(/^one/);
    expect(reply.event.content.body).not.toContain('twelve');
    await server.kit.waitForIdle();
    expect(client.frames.some((f) => f.type === 'ephemeral' && f.event.type === 'notice')).toBe(false);
    expect(await (await api('/rooms/lobby/stop', ana, { method: 'POST' })).json()).toEqual({ stopped: 0 });
  }, 20_000);

  it('a display name is set for the caller only, checked', async () => {
    const res = await api('/rooms/lobby/participants/me', ana, {
      method: 'PUT',
      body: JSON.stringify({ displayName: '  Ana   Bell ' }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).participant).toMatchObject({ id: 'ana', displayName: 'Ana Bell' });
    const { participants } = await (await api('/rooms/lobby/inspect', ana)).json();
    expect(participants.find((p: { id: string }) => p.id === 'ana')).toMatchObject({
      displayName: 'Ana Bell',
    });
    for (const displayName of ['', 'x'.repeat(61), 'bad\u0000name', 42]) {
      const bad = await api('/rooms/lobby/participants/me', ana, {
        method: 'PUT',
        body: JSON.stringify({ displayName }),
      });
      expect(bad.status).toBe(400);
    }
  });

  it('channels are changed through the channel-ops API by operators only; each change is in the timeline', async () => {
    const patch = (token: string, channel: string, body: unknown) =>
      api(`/rooms/lobby/channels/${channel}`, token, { method: 'PATCH', body: JSON.stringify(body) });
    expect((await patch(ana, 'agent', { muted: true })).status).toBe(403);
    const muted = await patch(admin, 'agent', { muted: true, visibility: 'transport' });
    expect(muted.status).toBe(200);
    expect((await muted.json()).binding).toMatchObject({
      channelId: 'agent',
      muted: true,
      visibility: 'transport',
    });
    expect(await server.kit.getBinding('lobby', 'agent')).toMatchObject({
      muted: true,
      visibility: 'transport',
    });
    const codes = (await server.kit.store.listEvents('lobby'))
      .filter((e) => e.content.type === 'system')
      .map((e) => (e.content.type === 'system' ? e.content.code : ''));
    expect(codes).toEqual(expect.arrayContaining(['channel_muted', 'visibility_changed']));
    for (const bad of [{ muted: 'yes' }, { access: 'everything' }, { visibility: 42 }, { color: 'red' }]) {
      expect((await patch(admin, 'agent', bad)).status).toBe(400);
    }
    // Nothing was half-applied by the refused requests.
    expect(await server.kit.getBinding('lobby', 'agent')).toMatchObject({
      muted: true,
      access: 'read_write',
    });
    expect((await patch(admin, 'sms', { muted: true })).status).toBe(404);
    const back = await patch(admin, 'agent', { muted: false, visibility: 'all', access: 'read_write' });
    expect((await back.json()).binding).toMatchObject({ muted: false, visibility: 'all' });
  });

  it('room status: operators pause and reopen a room', async () => {
    await server.kit.createRoom({ roomId: 'side' });
    const set = (token: string, status: string) =>
      api('/rooms/side/status', token, { method: 'POST', body: JSON.stringify({ status }) });
    expect((await set(admin, 'paused')).status).toBe(200);
    expect((await server.kit.getRoom('side'))?.status).toBe('paused');
    expect((await set(admin, 'archived')).status).toBe(400);
    expect((await set(admin, 'active')).status).toBe(200);
    expect((await server.kit.getRoom('side'))?.status).toBe('active');
  });

  it('logs say what happens (start, connections, refusals) and never carry a token', async () => {
    await fetch(`${server.url}/api/rooms`, { headers: { authorization: 'Bearer not-a-valid-token-123' } });
    const said = logger.lines.map((l) => l.msg);
    expect(said).toContain('roomkit serve listening');
    expect(said).toContain('refused an API request without a valid token');
    const connected = logger.lines.find((l) => l.msg === 'client connected');
    expect(connected).toMatchObject({
      level: 'info',
      obj: { userId: 'ana', path: expect.stringContaining('token=[redacted]') },
    });
    const text = JSON.stringify(logger.lines);
    expect(text).not.toContain(ana);
    expect(text).not.toContain(admin);
    expect(text).not.toContain('not-a-valid-token-123');
  });
});
