import { createServer } from 'node:http';
import { RTCPeerConnection } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebRTCHandler, mountWebRTC, WebRTCVoiceBackend } from '../../../src/backends/webrtc/index.js';
import { ValidationError } from '../../../src/core/errors.js';
import type { VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { postJson, type RtcServer, startRtcServer } from './helpers.js';
import { WeriftClient } from './werift-client.js';

const servers: RtcServer[] = [];
const closers: (() => Promise<unknown>)[] = [];

async function server(...args: Parameters<typeof startRtcServer>) {
  const s = await startRtcServer(...args);
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const s of servers.splice(0)) await s.close();
});

/** A real offer (audio + the control channel) from a werift peer that is then dropped. */
async function realOffer(opts: { dataChannel?: boolean; audio?: boolean } = {}): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  closers.push(() => pc.close());
  if (opts.audio !== false) pc.addTransceiver('audio', { direction: 'sendrecv' });
  if (opts.dataChannel !== false) pc.createDataChannel('roomkit');
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription!.sdp;
}

const auth = { authorization: 'Bearer user:alice' };

describe('WebRTC signalling: bad input gets a typed 4xx, never a crash', () => {
  it('refuses without a valid token (401, WWW-Authenticate), and when authenticate throws', async () => {
    const s = await server();
    const sdp = await realOffer();
    const none = await postJson(s.url, { sdp, roomId: 'r' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await postJson(s.url, { sdp, roomId: 'r' }, { authorization: 'Bearer nope' })).status).toBe(401);
    const throwing = await server(
      {},
      {
        authenticate: () => {
          throw new Error('auth service down');
        },
      },
    );
    expect((await postJson(throwing.url, { sdp, roomId: 'r' }, auth)).status).toBe(401);
    expect(s.backend.connectionCount).toBe(0);
  });

  it('authorizes by room: a token for one room cannot call into another (403); the room may come from the token', async () => {
    const s = await server();
    const sdp = await realOffer();
    const res = await postJson(s.url, { sdp, roomId: 'other' }, { authorization: 'Bearer user:alice@mine' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const noRoom = await postJson(s.url, { sdp }, auth);
    expect(noRoom).toMatchObject({ status: 400, body: { error: { code: 'missing_room' } } });
    // The authenticate callback sees the requested room and may refuse it.
    const perRoom = await server(
      {},
      {
        authenticate: (_req, token, request) =>
          token === 'ok' && request.roomId !== 'vip' ? { userId: 'u' } : null,
      },
    );
    expect((await postJson(perRoom.url, { sdp, roomId: 'vip' }, { authorization: 'Bearer ok' })).status).toBe(
      401,
    );
    const fromToken = await postJson(
      s.url,
      { sdp: await realOffer() },
      { authorization: 'Bearer user:alice@mine' },
    );
    expect(fromToken.status).toBe(201);
  });

  it('honours the token’s room list and the app’s authorizeSession (unknown room 404, refusal 403, throw 403)', async () => {
    const s = await server(
      {
        authorizeSession: ({ roomId }) => {
          if (roomId === 'boom') throw new Error('db down');
          return roomId === 'ghost' ? { code: 'room_not_found', message: 'no room ghost' } : true;
        },
      },
      {
        authenticate: (_req, token) =>
          token ? { userId: 'u', rooms: token === 'all' ? '*' : ['a', 'ghost'] } : null,
      },
    );
    const sdp = await realOffer();
    const as = (t: string) => ({ authorization: `Bearer ${t}` });
    expect((await postJson(s.url, { sdp, roomId: 'b' }, as('some'))).status).toBe(403);
    const ghost = await postJson(s.url, { sdp, roomId: 'ghost' }, as('some'));
    expect(ghost).toMatchObject({
      status: 404,
      body: { error: { code: 'room_not_found', message: 'no room ghost' } },
    });
    expect((await postJson(s.url, { sdp, roomId: 'boom' }, as('all'))).status).toBe(403);
    expect(s.logger.lines.some((l) => /authorizeSession threw/.test(l.msg ?? ''))).toBe(true);
    expect((await postJson(s.url, { sdp, roomId: 'a' }, as('some'))).status).toBe(201);
  });

  it('malformed bodies: not JSON 400, wrong type 415, schema 400 naming the field, too big 413', async () => {
    const s = await server({}, { maxBodyBytes: 4096 });
    expect((await postJson(s.url, '{nope', auth)).body.error.code).toBe('invalid_json');
    const form = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: 'sdp=x',
    });
    expect(form.status).toBe(415);
    const schema = await postJson(s.url, { sdp: 42, roomId: 'r' }, auth);
    expect(schema.status).toBe(400);
    expect(schema.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^sdp/),
    });
    const big = await postJson(s.url, { sdp: 'v=0'.padEnd(10_000, 'x'), roomId: 'r' }, auth);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');
  });

  it('offers werift cannot use: garbage SDP, no audio, no data channel -> 400 invalid_offer', async () => {
    const s = await server();
    const garbage = await postJson(s.url, { sdp: 'hello\r\nworld', roomId: 'r' }, auth);
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('invalid_offer');
    const noAudio = await postJson(s.url, { sdp: await realOffer({ audio: false }), roomId: 'r' }, auth);
    expect(noAudio.body.error).toMatchObject({
      code: 'invalid_offer',
      message: expect.stringMatching(/audio/),
    });
    const noDc = await postJson(s.url, { sdp: await realOffer({ dataChannel: false }), roomId: 'r' }, auth);
    expect(noDc.body.error).toMatchObject({
      code: 'invalid_offer',
      message: expect.stringMatching(/data channel/),
    });
    expect(s.backend.connectionCount).toBe(0);
  });

  it('candidates: PATCH needs the owner (others 404), validates, and is bounded per connection', async () => {
    const s = await server({ maxCandidates: 3 });
    const offer = await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(offer.status).toBe(201);
    expect(offer.headers.get('location')).toBe(`/rtc/${offer.body.connectionId}`);
    const target = `${s.url}/${offer.body.connectionId}`;
    const patch = (body: unknown, headers: Record<string, string> = auth) =>
      fetch(target, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const cand = {
      candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 9 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    expect((await patch({ candidates: [cand] }, { authorization: 'Bearer user:mallory' })).status).toBe(404);
    expect((await patch({ candidates: [cand] })).status).toBe(204);
    expect((await patch({ candidates: [] })).status).toBe(400);
    const bad = await patch({ candidates: [{ candidate: 'candidate:garbage', sdpMid: '0' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_candidate');
    expect((await patch({ candidates: [null] })).status).toBe(204);
    const over = await patch({ candidates: [cand] });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('too_many_candidates');
    const unknown = await fetch(`${s.url}/AAAAAAAAAAAAAAAA`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ candidates: [cand] }),
    });
    expect(unknown.status).toBe(404);
    expect((await fetch(`${s.url}/a/b`, { method: 'DELETE', headers: auth })).status).toBe(404); // not ours: the app's 404
  });

  it('GET gives the ICE servers to use (none by default, never a public STUN); other methods 405', async () => {
    const s = await server();
    const get = await fetch(s.url, { headers: auth });
    expect(await get.json()).toEqual({ iceServers: [] });
    expect(get.headers.get('cache-control')).toBe('no-store');
    const turn = await server({
      iceServers: [],
      clientIceServers: (a) => [{ urls: 'turn:turn.example:3478', username: a.userId, credential: 'minted' }],
    });
    expect(await (await fetch(turn.url, { headers: auth })).json()).toEqual({
      iceServers: [{ urls: 'turn:turn.example:3478', username: 'alice', credential: 'minted' }],
    });
    expect((await fetch(s.url, { method: 'PUT', headers: auth })).status).toBe(405);
    expect((await fetch(`${s.url}/x`, { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('one user cannot take the whole server: maxConnectionsPerUser (429), others still get in', async () => {
    const s = await server({ maxConnectionsPerUser: 2 });
    for (let i = 0; i < 2; i++)
      expect((await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth)).status).toBe(201);
    const third = await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(third).toMatchObject({ status: 429, body: { error: { code: 'too_many_calls' } } });
    const other = await postJson(
      s.url,
      { sdp: await realOffer(), roomId: 'r' },
      { authorization: 'Bearer user:bob' },
    );
    expect(other.status).toBe(201);
  });

  it('configured STUN servers are used (their reflexive address is in the answer); none by default', async () => {
    const { FakeStunServer } = await import('./stun-server.js');
    const stun = await FakeStunServer.start({ host: '203.0.113.7', port: 40000 });
    closers.push(async () => stun.close());
    const plain = await server();
    const hostOnly = await postJson(plain.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(hostOnly.body.sdp).toMatch(/typ host/);
    expect(hostOnly.body.sdp).not.toMatch(/typ srflx/);
    const natted = await server({ iceServers: [{ urls: stun.url }] });
    const answer = await postJson(natted.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(stun.requests).toBeGreaterThan(0);
    expect(answer.body.sdp).toMatch(/ 203\.0\.113\.7 40000 typ srflx/);
  });

  it('too many connections: 503, retryable; the server still answers the next one after a slot frees', async () => {
    const s = await server({ maxConnections: 1 });
    const first = await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(first.status).toBe(201);
    const second = await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(second).toMatchObject({ status: 503, body: { error: { code: 'too_many_connections' } } });
    const del = await fetch(`${s.url}/${first.body.connectionId}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(204);
    expect((await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth)).status).toBe(201);
  });

  it('authentication is required: mounting without authenticate is a configuration error', () => {
    const backend = new WebRTCVoiceBackend();
    expect(() => mountWebRTC(createServer(), backend, {} as never)).toThrow(ValidationError);
    expect(() => createWebRTCHandler(backend, { authenticate: undefined as never })).toThrow(/authenticate/);
  });

  it('mounts beside an app’s own request handler, registered before or after (the app keeps its other paths)', async () => {
    const s = await server({}, { path: '/calls/rtc' });
    // An app listener added after the mount must not answer the signalling path too.
    s.http.on('request', (_req, res) => {
      if (!res.headersSent) res.writeHead(418).end('late');
    });
    expect((await fetch(s.url.replace('/calls/rtc', '/other'))).status).toBe(404);
    const get = await fetch(s.url, { headers: auth });
    expect(get.status).toBe(200);
    const c = await WeriftClient.connect({ url: s.url, token: 'user:alice', roomId: 'r' });
    closers.push(() => c.close());
    await c.waitConnected();
  });
});

describe('WebRTC peers that vanish are reaped by deadline', () => {
  it('an answered offer that never connects is dropped after connectTimeoutMs', async () => {
    const s = await server({ connectTimeoutMs: 1500 });
    const res = await postJson(s.url, { sdp: await realOffer(), roomId: 'r' }, auth);
    expect(res.status).toBe(201);
    expect(s.backend.connectionCount).toBe(1);
    await eventually(() => expect(s.backend.connectionCount).toBe(0), 6000);
    expect(s.logger.lines.some((l) => (l.obj as { reason?: string }).reason === 'connect timeout')).toBe(
      true,
    );
  });

  it('a connected client that goes silent (UDP black hole) is reaped after idleTimeoutMs', async () => {
    const { UdpRelay, loopbackCandidatePort, pointCandidatesAt, stripCandidates } = await import(
      './udp-relay.js'
    );
    const relay = await UdpRelay.start();
    closers.push(async () => relay.close());
    const s = await server({ idleTimeoutMs: 1500 });
    const gone: VoiceSession[] = [];
    s.backend.onClientDisconnected((x) => gone.push(x));
    const c = await WeriftClient.connect({
      url: s.url,
      token: 'user:alice',
      roomId: 'r',
      transformOffer: stripCandidates,
      transformAnswer: (sdp) => {
        relay.server = { host: '127.0.0.1', port: loopbackCandidatePort(sdp) };
        return pointCandidatesAt(sdp, relay.clientSide);
      },
    });
    closers.push(() => c.close());
    await c.waitMessage((m) => m.type === 'ready');
    expect(relay.stats.toServer).toBeGreaterThan(0);
    const vanishedAt = performance.now();
    relay.blackhole();
    await eventually(() => expect(gone).toHaveLength(1), 8000);
    const after = performance.now() - vanishedAt;
    expect(after).toBeGreaterThan(1400);
    expect(s.backend.connectionCount).toBe(0);
  });
});
