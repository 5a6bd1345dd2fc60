import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { RoomKit } from '../../src/index.js';
import {
  MockRealtimeProvider,
  RealtimeVoiceChannel,
  type RealtimeVoiceSession,
  WebSocketRealtimeTransport,
} from '../../src/realtime/index.js';
import { describeBackendConformance, eventually, pattern } from '../conformance/backend.js';
import { openVoiceClient, type VoiceTestClient } from '../voice/backends/voice-ws-client.js';
import { silent, toneFrames } from './helpers.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A kit with the realtime channel over the seed's WebSocket transport on a real port. */
async function setup(opts: { audioFormat?: 'base64_json' | 'binary' } = {}) {
  const kit = new RoomKit({ logger: silent });
  const provider = new MockRealtimeProvider();
  const transport = new WebSocketRealtimeTransport({
    authenticate: (_req, token) =>
      token === 'secret'
        ? { userId: 'caller', rooms: ['room-1'] }
        : token === 'fixed'
          ? { userId: 'kiosk', roomId: 'room-1' }
          : null,
    audioFormat: opts.audioFormat,
    logger: silent,
  });
  const channel = new RealtimeVoiceChannel('voice', { provider, transport });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'room-1' });
  const port = await transport.listen(0);
  cleanup.push(
    () => kit.close(),
    () => transport.close(),
  );
  const url = (query: string) => `ws://127.0.0.1:${port}/realtime?${query}`;
  return { kit, provider, transport, channel, url };
}

async function connect(url: string, framing: 'json' | 'binary' = 'json'): Promise<VoiceTestClient> {
  const client = await openVoiceClient(url, { framing });
  cleanup.push(() => client.close());
  return client;
}

async function liveSession(channel: RealtimeVoiceChannel): Promise<RealtimeVoiceSession> {
  let session: RealtimeVoiceSession | undefined;
  await eventually(() => {
    session = channel.sessions.find((s) => s.state === 'active');
    expect(session).toBeDefined();
  });
  return session!;
}

describe('WebSocketRealtimeTransport: the seed client protocol over a real socket', () => {
  it("a seed client's first message is audio, with no start (regression: it got not_started)", async () => {
    const { provider, channel, url } = await setup();
    const client = await connect(url('token=secret&roomId=room-1'));
    const pcm = pattern(320);
    await client.sendRaw(JSON.stringify({ type: 'audio', data: Buffer.from(pcm.buffer).toString('base64') }));
    const session = await liveSession(channel);
    expect(session).toMatchObject({ roomId: 'room-1', participantId: 'caller', channelId: 'voice' });
    await eventually(() => expect(provider.sentAudio(session.providerSession!)).toHaveLength(1));
    expect(provider.sentAudio(session.providerSession!)[0]).toEqual(pcm);
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('the server speaks the seed messages: audio, transcription with role and is_final, speaking with who, clear_audio', async () => {
    const { provider, channel, url } = await setup();
    const client = await connect(url('token=secret&roomId=room-1'));
    const s = await liveSession(channel);

    provider.simulateSpeechStart(s);
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: true, who: 'user' });
    provider.simulateTranscription(s, 'what is', { isFinal: false });
    expect(await client.next('transcription')).toEqual({
      type: 'transcription',
      text: 'what is',
      role: 'user',
      is_final: false,
    });
    provider.simulateTranscription(s, 'what is the time');
    expect(await client.next('transcription')).toEqual({
      type: 'transcription',
      text: 'what is the time',
      role: 'user',
      is_final: true,
    });
    provider.simulateSpeechEnd(s);
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: false, who: 'user' });

    provider.simulateResponseStart(s);
    provider.simulateAudio(s, toneFrames(100, 24000)[0]!, { itemId: 'a1' });
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: true, who: 'assistant' });
    const audio = await client.next('audio');
    expect(Object.keys(audio).sort()).toEqual(['data', 'type']);
    expect(Buffer.from(audio.data, 'base64').byteLength).toBeGreaterThan(0);

    provider.simulateInterruption(s, { itemId: 'a1' });
    expect(await client.next('clear_audio')).toEqual({ type: 'clear_audio' });
    expect(await client.next('speaking')).toEqual({ type: 'speaking', speaking: false, who: 'assistant' });
  });

  it("audioFormat 'binary': PCM frames both ways, JSON audio refused with a typed error", async () => {
    const { provider, channel, url } = await setup({ audioFormat: 'binary' });
    const client = await connect(url('token=secret&roomId=room-1'), 'binary');
    const s = await liveSession(channel);
    const pcm = pattern(320, 3);
    await client.sendAudio(pcm);
    await eventually(() => expect(provider.sentAudio(s.providerSession!)).toHaveLength(1));
    expect(provider.sentAudio(s.providerSession!)[0]).toEqual(pcm);
    provider.simulateAudio(s, toneFrames(60, 24000)[0]!);
    await eventually(() => expect(client.receivedAudio().byteLength).toBeGreaterThan(0));
    expect(client.messages.some((m) => m.type === 'audio')).toBe(false);
    await client.sendJson({ type: 'audio', data: 'AAAA' });
    expect(await client.next('error')).toMatchObject({ code: 'unsupported_framing' });
  });

  it('bad input gets a typed error frame and the socket stays usable', async () => {
    const { provider, channel, url } = await setup();
    const client = await connect(url('token=secret&roomId=room-1'));
    const s = await liveSession(channel);
    await client.sendRaw('{not json');
    expect(await client.next('error')).toMatchObject({ code: 'invalid_json' });
    await client.sendJson({ type: 'audio', data: '***' });
    expect(await client.next('error')).toMatchObject({ code: 'bad_base64' });
    await client.sendJson({ type: 'audio', data: Buffer.from([1, 2, 3]).toString('base64') });
    expect(await client.next('error')).toMatchObject({ code: 'odd_length' });
    await client.sendJson({ type: 'start' });
    expect(await client.next('error')).toMatchObject({ code: 'already_started' });
    await client.sendAudio(pattern(160));
    await eventually(() => expect(provider.sentAudio(s.providerSession!)).toHaveLength(1));
  });

  it('refuses without a valid token (401), outside its rooms (403), without a room (400)', async () => {
    const { url, kit } = await setup();
    await kit.createRoom({ roomId: 'room-2' });
    await expect(openVoiceClient(url('roomId=room-1'))).rejects.toThrow('HTTP 401');
    await expect(openVoiceClient(url('token=nope&roomId=room-1'))).rejects.toThrow('HTTP 401');
    await expect(openVoiceClient(url('token=secret&roomId=room-2'))).rejects.toThrow('HTTP 403');
    await expect(openVoiceClient(url('token=secret'))).rejects.toThrow('HTTP 400');
    // A token bound to a room needs no roomId.
    const client = await connect(url('token=fixed'));
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('a client that hangs up ends its channel session; ending the session closes the socket', async () => {
    const { channel, url } = await setup();
    const a = await connect(url('token=secret&roomId=room-1'));
    const first = await liveSession(channel);
    await a.close();
    await eventually(() => expect(first.state).toBe('ended'));
    expect(first.endReason).toBe('client_disconnected');

    const b = await connect(url('token=secret&roomId=room-1'));
    const second = await liveSession(channel);
    await channel.endSession(second.id);
    expect(await b.closed).toBe(1000);
  });

  it('a socket the app accepted itself is handed over with startSession({ connection })', async () => {
    const kit = new RoomKit({ logger: silent });
    const provider = new MockRealtimeProvider();
    const transport = new WebSocketRealtimeTransport({ authenticate: () => null, logger: silent });
    const channel = new RealtimeVoiceChannel('voice', { provider, transport });
    kit.registerChannel(channel);
    await kit.createRoom({ roomId: 'room-1' });
    const http: Server = createServer();
    const wss = new WebSocketServer({ server: http });
    const sessions: Promise<RealtimeVoiceSession>[] = [];
    wss.on('connection', (ws) =>
      sessions.push(channel.startSession('room-1', 'app-user', { connection: ws })),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    cleanup.push(
      () => kit.close(),
      () => new Promise((r) => http.close(r)),
      () => wss.close(),
    );
    const { port } = http.address() as { port: number };
    const client = await connect(`ws://127.0.0.1:${port}/`);
    await eventually(() => expect(sessions).toHaveLength(1));
    const s = await sessions[0]!;
    expect(s).toMatchObject({ state: 'active', participantId: 'app-user' });
    await client.sendAudio(pattern(160));
    await eventually(() => expect(provider.sentAudio(s.providerSession!)).toHaveLength(1));
    provider.simulateTranscription(s, 'hello', { role: 'assistant' });
    expect(await client.next('transcription')).toMatchObject({
      text: 'hello',
      role: 'assistant',
      is_final: true,
    });
    await expect(channel.startSession('room-1', 'x', { connection: 'not a socket' })).rejects.toThrow(
      /needs a ws WebSocket/,
    );
  });

  it('rejects options that cannot work, at construction', () => {
    expect(() => new WebSocketRealtimeTransport({} as never)).toThrow(/authenticate/);
    expect(
      () => new WebSocketRealtimeTransport({ authenticate: () => null, audioFormat: 'pcm' as never }),
    ).toThrow(/audioFormat/);
    expect(() => new WebSocketRealtimeTransport({ authenticate: () => null, sampleRate: 11025 })).toThrow(
      /sampleRate/,
    );
  });
});

describeBackendConformance<WebSocketRealtimeTransport>({
  name: 'WebSocketRealtimeTransport',
  create: async () => {
    const transport = new WebSocketRealtimeTransport({
      authenticate: (_req, token) => (token ? { userId: token } : null),
      logger: silent,
    });
    await transport.listen(0);
    return transport;
  },
  async openClient(transport, { roomId, participantId }) {
    const port = await transport.listen();
    const ready = new Promise<import('../../src/voice/types.js').VoiceSession>((resolve) => {
      const off = transport.onSessionReady((s) => {
        if (s.participantId !== participantId) return;
        off();
        resolve(s);
      });
    });
    const client = await openVoiceClient(
      `ws://127.0.0.1:${port}/realtime?token=${participantId}&roomId=${roomId}`,
      { framing: 'json' },
    );
    const session = await ready;
    return {
      session,
      sendAudio: (pcm) => client.sendAudio(pcm),
      receivedAudio: () => client.receivedAudio(),
      clearCount: () => client.messages.filter((m) => m.type === 'clear_audio').length,
      drop: () => client.close(),
    };
  },
  destroy: (transport) => transport.close(),
});
