import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type VoiceAuthenticate,
  WebSocketVoiceBackend,
  type WebSocketVoiceBackendOptions,
} from '../../../src/voice/backends/index.js';
import { type AudioFrame, VoiceCapability, type VoiceSession } from '../../../src/voice/types.js';
import { describeBackendConformance, eventually, pattern } from '../../conformance/backend.js';
import { memoryLogger, openVoiceClient, startVoiceClient, type VoiceTestClient } from './voice-ws-client.js';

/** Token `user:<id>` or `user:<id>@<room>` authenticates; anything else is refused. */
const authenticate: VoiceAuthenticate = (_req, token) => {
  const m = token?.match(/^user:([^@]+)(?:@(.+))?$/);
  return m ? { userId: m[1], roomId: m[2], metadata: { via: 'token' } } : null;
};

const ports = new WeakMap<WebSocketVoiceBackend, number>();
const clientsOf = new WeakMap<WebSocketVoiceBackend, VoiceTestClient[]>();

async function makeBackend(opts: Partial<WebSocketVoiceBackendOptions> = {}) {
  const backend = new WebSocketVoiceBackend({ authenticate, logger: memoryLogger(), ...opts });
  ports.set(backend, await backend.listen(0));
  clientsOf.set(backend, []);
  return backend;
}

function urlOf(backend: WebSocketVoiceBackend, token?: string): string {
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  return `ws://127.0.0.1:${ports.get(backend)}/voice${q}`;
}

async function destroy(backend: WebSocketVoiceBackend) {
  for (const c of clientsOf.get(backend) ?? []) c.socket.terminate();
  await backend.close();
}

for (const framing of ['binary', 'json'] as const) {
  describeBackendConformance<WebSocketVoiceBackend>({
    name: `WebSocketVoiceBackend (${framing} framing)`,
    sampleRates: [8000, 16000, 24000, 48000],
    create: () => makeBackend(),
    async openClient(backend, { roomId, participantId, sampleRate }) {
      const { client, ready } = await startVoiceClient(urlOf(backend, `user:${participantId}`), {
        sampleRate,
        roomId,
        framing,
      });
      clientsOf.get(backend)!.push(client);
      const session = backend.getSession(ready.sessionId)!;
      return {
        session,
        sendAudio: (pcm) => client.sendAudio(pcm),
        receivedAudio: () => client.receivedAudio(),
        clearCount: () => client.messages.filter((m) => m.type === 'clear_audio').length,
        drop: async () => {
          client.socket.terminate();
          await client.closed;
        },
      };
    },
    destroy,
  });
}

describe('WebSocketVoiceBackend', () => {
  const backends: WebSocketVoiceBackend[] = [];
  async function backend(opts: Partial<WebSocketVoiceBackendOptions> = {}) {
    const b = await makeBackend(opts);
    backends.push(b);
    return b;
  }
  async function start(b: WebSocketVoiceBackend, token: string, startMsg: Record<string, unknown> = {}) {
    const r = await startVoiceClient(urlOf(b, token), { roomId: 'room', ...startMsg });
    clientsOf.get(b)!.push(r.client);
    return r;
  }
  async function open(b: WebSocketVoiceBackend, token: string) {
    const c = await openVoiceClient(urlOf(b, token));
    clientsOf.get(b)!.push(c);
    return c;
  }

  afterEach(async () => {
    for (const b of backends.splice(0)) await destroy(b);
  });

  it('declares INTERRUPTION (barge-in is the channel’s call)', async () => {
    const b = await backend();
    expect(b.capabilities).toBe(VoiceCapability.INTERRUPTION);
  });

  it('refuses with 401 when authenticate says no, throws, or no token is given', async () => {
    const b = await backend();
    await expect(openVoiceClient(urlOf(b))).rejects.toThrow('HTTP 401');
    await expect(openVoiceClient(urlOf(b, 'nobody'))).rejects.toThrow('HTTP 401');
    const throwing = await backend({
      authenticate: () => {
        throw new Error('auth service down');
      },
    });
    await expect(openVoiceClient(urlOf(throwing, 'user:x'))).rejects.toThrow('HTTP 401');
    expect(b.connections.size).toBe(0);
  });

  it('takes the token from an Authorization: Bearer header too', async () => {
    const b = await backend();
    const c = await openVoiceClient(urlOf(b), { headers: { authorization: 'Bearer user:hdr' } });
    clientsOf.get(b)!.push(c);
    await c.sendJson({ type: 'start', roomId: 'room' });
    const ready = await c.next('ready');
    expect(ready.participantId).toBe('hdr');
  });

  it('ready carries the session, room, participant, rate and framing; metadata from auth wins', async () => {
    const b = await backend();
    const seen: VoiceSession[] = [];
    b.onSessionReady((s) => seen.push(s));
    const { ready } = await start(b, 'user:ann', { sampleRate: 24000, metadata: { via: 'client', x: 1 } });
    expect(ready).toMatchObject({
      roomId: 'room',
      participantId: 'ann',
      sampleRate: 24000,
      framing: 'binary',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: ready.sessionId, channelId: 'voice', state: 'active' });
    expect(seen[0].metadata).toEqual({ via: 'token', x: 1 });
    expect(b.sampleRateFor(seen[0])).toBe(24000);
  });

  it('uses the room from authenticate, and refuses another one', async () => {
    const b = await backend();
    const { ready } = await startVoiceClient(urlOf(b, 'user:bo@lobby'), {});
    expect(ready.roomId).toBe('lobby');
    const c = await open(b, 'user:bo@lobby');
    await c.sendJson({ type: 'start', roomId: 'elsewhere' });
    expect((await c.next('error')).code).toBe('forbidden');
    const d = await open(b, 'user:bo');
    await d.sendJson({ type: 'start' });
    expect((await d.next('error')).code).toBe('missing_room');
  });

  it('binds a client to a session created by connect() (framework-initiated call)', async () => {
    const b = await backend();
    const pending = await b.connect('room', 'cy', 'phone');
    expect(pending.state).toBe('connecting');
    const seen: VoiceSession[] = [];
    b.onSessionReady((s) => seen.push(s));
    const intruder = await open(b, 'user:mallory');
    await intruder.sendJson({ type: 'start', sessionId: pending.id });
    expect((await intruder.next('error')).code).toBe('forbidden');
    const other = await open(b, 'user:cy');
    await other.sendJson({ type: 'start', sessionId: 'voice_nope' });
    expect((await other.next('error')).code).toBe('session_not_found');
    const { ready } = await start(b, 'user:cy', { sessionId: pending.id });
    expect(ready.sessionId).toBe(pending.id);
    expect(seen).toEqual([pending]);
    expect(pending.state).toBe('active');
    expect(pending.channelId).toBe('phone');
  });

  it('sends speaking, transcription and clear_audio control frames', async () => {
    const b = await backend();
    const { client, ready } = await start(b, 'user:di');
    const session = b.getSession(ready.sessionId)!;
    await b.sendAudio(session, new Uint8Array(640));
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: true });
    b.endOfResponse(session);
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: false });
    await b.sendTranscription(session, 'hello there', 'assistant', false);
    expect(await client.next('transcription')).toEqual({
      type: 'transcription',
      text: 'hello there',
      role: 'assistant',
      final: false,
    });
    await b.sendAudio(session, new Uint8Array(640));
    b.interrupt(session);
    expect(await client.next('clear_audio')).toEqual({ type: 'clear_audio' });
    await client.sendJson({ type: 'ping' });
    expect(await client.next('pong')).toEqual({ type: 'pong' });
  });

  it('keeps an odd trailing byte for the next chunk instead of shifting every sample after it', async () => {
    const b = await backend();
    const { client, ready } = await start(b, 'user:ed');
    const session = b.getSession(ready.sessionId)!;
    const bytes = new Uint8Array(pattern(64).buffer);
    await b.sendAudio(session, bytes.subarray(0, 33));
    await b.sendAudio(session, bytes.subarray(33));
    await eventually(() => expect(client.receivedAudio()).toEqual(bytes));
  });

  it('resamples and downmixes outbound chunks to the client rate', async () => {
    const b = await backend();
    const { client, ready } = await start(b, 'user:fa', { sampleRate: 16000 });
    const session = b.getSession(ready.sessionId)!;
    const stereo24k = new Int16Array(4800 * 2); // 200 ms stereo at 24 kHz
    await b.sendAudio(session, {
      data: new Uint8Array(stereo24k.buffer),
      sampleRate: 24000,
      channels: 2,
      format: 'pcm_s16le',
    });
    // 200 ms at 16 kHz is 3200 samples; the filter may hold back a few.
    await eventually(() => expect(client.receivedAudio().byteLength).toBeGreaterThan(2 * 3000));
    expect(client.receivedAudio().byteLength).toBeLessThanOrEqual(2 * 3200);
    await expect(
      b.sendAudio(session, { data: new Uint8Array(10), sampleRate: 16000, channels: 1, format: 'mp3' }),
    ).rejects.toThrow(/PCM s16le only/);
  });

  it('answers every malformed frame with a typed error while another client streams unaffected', async () => {
    const maxFrameBytes = 4096;
    const b = await backend({ maxFrameBytes });
    const got = new Map<string, Int16Array[]>();
    b.onAudioReceived((s, f) => {
      const list = got.get(s.id) ?? [];
      list.push(f.data.slice());
      got.set(s.id, list);
    });
    const a = await start(b, 'user:a');
    const other = await start(b, 'user:b');
    const total = (id: string) => (got.get(id) ?? []).reduce((n, x) => n + x.length, 0);

    // B streams 20 ms frames the whole time.
    const bSent: Int16Array[] = [];
    let streaming = true;
    const bLoop = (async () => {
      for (let i = 0; streaming; i++) {
        const frame = pattern(320, i);
        bSent.push(frame);
        await other.client.sendAudio(frame);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();

    const cases: [string, (c: VoiceTestClient) => Promise<void>, string][] = [
      ['odd byte length (binary)', (c) => c.sendBinary(new Uint8Array(321)), 'odd_length'],
      ['odd byte length (json)', (c) => c.sendJson({ type: 'audio', data: 'AAAA' }), 'odd_length'],
      ['bad base64', (c) => c.sendJson({ type: 'audio', data: '@@not*base64' }), 'bad_base64'],
      ['unknown type', (c) => c.sendJson({ type: 'dance' }), 'unknown_type'],
      ['invalid JSON', (c) => c.sendRaw('{"type": "audio", '), 'invalid_json'],
      ['no type', (c) => c.sendJson({ hello: 1 }), 'invalid_message'],
      ['wrong field type', (c) => c.sendJson({ type: 'audio', data: 42 }), 'invalid_message'],
      ['oversized binary', (c) => c.sendBinary(new Uint8Array(maxFrameBytes + 2)), 'too_large'],
      [
        'oversized JSON audio',
        (c) => c.sendJson({ type: 'audio', data: Buffer.alloc(maxFrameBytes * 2).toString('base64') }),
        'too_large',
      ],
      ['second start', (c) => c.sendJson({ type: 'start', roomId: 'room' }), 'already_started'],
    ];
    let seed = 100;
    for (const [what, send, code] of cases) {
      await send(a.client);
      const error = await a.client.next('error');
      expect({ what, code: error.code }).toEqual({ what, code });
      expect(error.message).toMatch(/\S/);
      // The same socket still carries audio.
      const before = total(a.ready.sessionId);
      await a.client.sendAudio(pattern(160, seed++));
      await eventually(() => expect(total(a.ready.sessionId)).toBe(before + 160));
    }

    // Errors before `start`, on a fresh socket that then starts normally.
    const fresh = await open(b, 'user:c');
    const early: [(c: VoiceTestClient) => Promise<void>, string][] = [
      [(c) => c.sendBinary(new Uint8Array(320)), 'not_started'],
      [(c) => c.sendJson({ type: 'audio', data: 'AAAA' }), 'not_started'],
      [(c) => c.sendJson({ type: 'start', roomId: 'room', sampleRate: 44100 }), 'unsupported_sample_rate'],
      [(c) => c.sendJson({ type: 'start', roomId: 'room', sampleRate: 'fast' }), 'invalid_message'],
    ];
    for (const [send, code] of early) {
      await send(fresh);
      expect((await fresh.next('error')).code).toBe(code);
    }
    await fresh.sendJson({ type: 'start', roomId: 'room', sampleRate: 8000 });
    expect((await fresh.next('ready')).sampleRate).toBe(8000);

    streaming = false;
    await bLoop;
    const bTotal = bSent.reduce((n, x) => n + x.length, 0);
    await eventually(() => expect(total(other.ready.sessionId)).toBe(bTotal));
    const flat = (xs: Int16Array[]) => Int16Array.from(xs.flatMap((x) => Array.from(x)));
    expect(flat(got.get(other.ready.sessionId)!)).toEqual(flat(bSent));
    expect(other.client.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(b.listSessions('room')).toHaveLength(3);
  });

  it('a server that forces one framing refuses the other with a typed error', async () => {
    const b = await backend({ framing: 'json' });
    const c = await open(b, 'user:g');
    await c.sendJson({ type: 'start', roomId: 'room', framing: 'binary' });
    expect((await c.next('error')).code).toBe('unsupported_framing');
    await c.sendJson({ type: 'start', roomId: 'room' });
    expect((await c.next('ready')).framing).toBe('json');
    await c.sendBinary(new Uint8Array(320));
    expect((await c.next('error')).code).toBe('unsupported_framing');
  });

  it('stamps inbound frames with their position in the stream', async () => {
    const b = await backend();
    const frames: AudioFrame[] = [];
    b.onAudioReceived((_s, f) => frames.push(f));
    const { client } = await start(b, 'user:h', { sampleRate: 8000 });
    for (let i = 0; i < 3; i++) await client.sendAudio(pattern(160, i));
    await eventually(() => expect(frames).toHaveLength(3));
    expect(frames.map((f) => f.timestampMs)).toEqual([0, 20, 40]);
  });

  it('joins a binary frame sent in fragments, and frames a listener keeps stay intact', async () => {
    const b = await backend();
    const frames: AudioFrame[] = [];
    b.onAudioReceived((_s, f) => frames.push(f));
    const { client } = await start(b, 'user:h2', { sampleRate: 8000 });
    const whole = pattern(160, 7);
    const bytes = Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
    // One message in three WebSocket fragments (cut mid-sample), then two whole ones.
    client.socket.send(bytes.subarray(0, 101), { binary: true, fin: false });
    client.socket.send(bytes.subarray(101, 250), { binary: true, fin: false });
    client.socket.send(bytes.subarray(250), { binary: true, fin: true });
    for (let i = 0; i < 2; i++) await client.sendAudio(pattern(160, i));
    await eventually(() => expect(frames).toHaveLength(3));
    expect(frames[0].data).toEqual(whole);
    expect(frames[1].data).toEqual(pattern(160, 0));
    expect(frames[2].data).toEqual(pattern(160, 1));
    expect(frames.map((f) => f.timestampMs)).toEqual([0, 20, 40]);
  });

  it('drops inbound audio while input is muted', async () => {
    const b = await backend();
    const frames: AudioFrame[] = [];
    b.onAudioReceived((_s, f) => frames.push(f));
    const { client, ready } = await start(b, 'user:i');
    const session = b.getSession(ready.sessionId)!;
    const handled = async () => {
      await client.sendJson({ type: 'ping' });
      await client.next('pong'); // everything sent before the ping has been handled
    };
    b.setInputMuted(session, true);
    await client.sendAudio(pattern(160, 1));
    await handled();
    b.setInputMuted(session, false);
    await client.sendAudio(pattern(160, 2));
    await handled();
    expect(frames).toHaveLength(1);
    expect(frames[0].data).toEqual(pattern(160, 2));
  });

  it('a stop message ends the session as a client disconnect', async () => {
    const b = await backend();
    const gone: string[] = [];
    b.onClientDisconnected((s) => gone.push(s.id));
    const { client, ready } = await start(b, 'user:j');
    await client.sendJson({ type: 'stop' });
    expect(await client.closed).toBe(1000);
    await eventually(() => expect(gone).toEqual([ready.sessionId]));
  });

  it('drops a client that stops answering pings and keeps the ones that do', async () => {
    const b = await backend({ heartbeatMs: 20 });
    const gone: string[] = [];
    b.onClientDisconnected((s) => gone.push(s.id));
    const deaf = await startVoiceClient(urlOf(b, 'user:k'), { roomId: 'room' }, { autoPong: false });
    clientsOf.get(b)!.push(deaf.client);
    const healthy = await start(b, 'user:l');
    await eventually(() => expect(gone).toEqual([deaf.ready.sessionId]));
    // The healthy one has answered several sweeps by now and still works.
    expect(b.listSessions('room').map((s) => s.id)).toEqual([healthy.ready.sessionId]);
    await healthy.client.sendJson({ type: 'ping' });
    await healthy.client.next('pong');
  });

  it('disconnects a client that does not read, with a log line', async () => {
    const logger = memoryLogger();
    const b = await backend({ maxBufferedBytes: 64 * 1024, logger });
    const gone: string[] = [];
    b.onClientDisconnected((s) => gone.push(s.id));
    const slow = await start(b, 'user:m');
    const fine = await start(b, 'user:n');
    slow.client.socket.pause(); // stops reading: the kernel buffers fill, then ws's
    const slowSession = b.getSession(slow.ready.sessionId)!;
    const fineSession = b.getSession(fine.ready.sessionId)!;
    const chunk = new Uint8Array(16 * 1024);
    let sentToFine = 0;
    // Both get the same stream, yielding between chunks: only the one that does not read overflows.
    for (let i = 0; i < 4000 && gone.length === 0; i++) {
      await b.sendAudio(slowSession, chunk);
      await b.sendAudio(fineSession, chunk);
      sentToFine += chunk.byteLength;
      await new Promise((r) => setImmediate(r));
    }
    await eventually(() => expect(gone).toEqual([slow.ready.sessionId]));
    expect(logger.lines.some((l) => l.level === 'warn' && /not reading/.test(l.msg ?? ''))).toBe(true);
    // The reading client got everything and stays connected.
    await eventually(() => expect(fine.client.receivedAudio().byteLength).toBe(sentToFine));
    expect(b.getSession(fine.ready.sessionId)).toBeDefined();
  });

  it('a start in a room that does not exist gets a typed room_not_found error, not ready and silence', async () => {
    const rooms = new Set(['room']);
    const asked: unknown[] = [];
    const b = await backend({
      authorizeSession: ({ auth, roomId }) => {
        asked.push({ user: auth.userId, roomId });
        return rooms.has(roomId) ? true : { code: 'room_not_found', message: `no room ${roomId}` };
      },
    });
    const ready: VoiceSession[] = [];
    b.onSessionReady((s) => ready.push(s));
    const c = await open(b, 'user:nia');
    await c.sendJson({ type: 'start', roomId: 'ghost' });
    expect(await c.next('error')).toMatchObject({ code: 'room_not_found', message: 'no room ghost' });
    expect(c.messages.some((m) => m.type === 'ready')).toBe(false);
    expect(ready).toHaveLength(0);
    // The socket stays usable: a start in a room that exists works.
    await c.sendJson({ type: 'start', roomId: 'room' });
    expect(await c.next('ready')).toMatchObject({ roomId: 'room', participantId: 'nia' });
    expect(asked).toEqual([
      { user: 'nia', roomId: 'ghost' },
      { user: 'nia', roomId: 'room' },
    ]);
  });

  it('a token scoped to some rooms cannot start a session in another; a throwing authorizeSession refuses', async () => {
    const b = await backend({
      authenticate: (_req, token) => (token ? { userId: token, rooms: ['a', 'b'] } : null),
    });
    const c = await open(b, 'scoped');
    await c.sendJson({ type: 'start', roomId: 'c' });
    expect(await c.next('error')).toMatchObject({ code: 'forbidden' });
    await c.sendJson({ type: 'start', roomId: 'b' });
    expect(await c.next('ready')).toMatchObject({ roomId: 'b' });
    const throwing = await backend({
      authorizeSession: () => {
        throw new Error('room service down');
      },
    });
    const d = await open(throwing, 'user:x');
    await d.sendJson({ type: 'start', roomId: 'room' });
    expect(await d.next('error')).toMatchObject({ code: 'forbidden' });
  });

  it('one large send to a client that does not read never queues past the budget', async () => {
    // Issue 8: the budget was checked before a send, so any one large frame always went out.
    const budget = 128 * 1024;
    const b = await backend({ maxBufferedBytes: budget });
    const gone: string[] = [];
    b.onClientDisconnected((s) => gone.push(s.id));
    const slow = await start(b, 'user:q');
    slow.client.socket.pause();
    const conn = [...b.connections].find((c) => c.session?.id === slow.ready.sessionId)!;
    let peak = 0;
    const send = conn.socket.send.bind(conn.socket);
    conn.socket.send = ((...args: Parameters<typeof send>) => {
      send(...args);
      peak = Math.max(peak, conn.socket.bufferedAmount);
    }) as typeof conn.socket.send;
    const session = b.getSession(slow.ready.sessionId)!;
    // 16 MiB in one call, several times: far more than the kernel buffers take.
    for (let i = 0; i < 4 && gone.length === 0; i++)
      await b.sendAudio(session, new Uint8Array(16 * 1024 * 1024));
    await eventually(() => expect(gone).toEqual([slow.ready.sessionId]));
    expect(peak).toBeLessThanOrEqual(budget);
  });

  it('attaches to an existing HTTP server on its path', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const b = new WebSocketVoiceBackend({ authenticate, server, path: '/talk', logger: memoryLogger() });
    try {
      const { client, ready } = await startVoiceClient(`ws://127.0.0.1:${port}/talk?token=user:o`, {
        roomId: 'room',
      });
      expect(b.getSession(ready.sessionId)?.participantId).toBe('o');
      client.socket.terminate();
    } finally {
      await b.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('listens on a port given as `server`', async () => {
    const b = new WebSocketVoiceBackend({ authenticate, server: 0, logger: memoryLogger() });
    const port = await b.listen();
    expect(port).toBeGreaterThan(0);
    const { client } = await startVoiceClient(`ws://127.0.0.1:${port}/voice?token=user:p`, {
      roomId: 'room',
    });
    client.socket.terminate();
    await b.close();
  });
});
