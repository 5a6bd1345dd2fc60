import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../../src/core/roomkit.js';
import {
  FastRTCRealtimeTransport,
  mountFastRTCRealtime,
  mountWebRTCRealtime,
  RealtimeVoiceChannel,
  WebRTCRealtimeTransport,
} from '../../../src/realtime/index.js';
import { MockRealtimeProvider } from '../../../src/testing/mock-realtime-provider.js';
import { rms } from '../../../src/voice/audio/levels.js';
import { eventually } from '../../conformance/backend.js';
import { sine } from '../../voice/audio/signals.js';
import { memoryLogger, tokenAuth } from './helpers.js';
import { WeriftClient } from './werift-client.js';

/** RealtimeVoiceChannel over WebRTCRealtimeTransport, with werift clients (no browser). */
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function rig() {
  const kit = new RoomKit({ logger: memoryLogger() });
  const transport = new WebRTCRealtimeTransport({ iceHostAddresses: ['127.0.0.1'], logger: memoryLogger() });
  const provider = new MockRealtimeProvider();
  const channel = new RealtimeVoiceChannel('voice', { provider, transport });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'room-1' });
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  mountWebRTCRealtime(http, transport, { authenticate: tokenAuth });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/rtc-realtime`;
  closers.push(
    () => kit.close(),
    () => transport.close(),
    () => new Promise((r) => http.close(r)),
  );
  return { kit, transport, provider, channel, url };
}

async function caller(url: string, roomId = 'room-1') {
  const c = await WeriftClient.connect({ url, token: 'user:caller', roomId, sampleRate: 24000 });
  closers.push(() => c.close());
  return c;
}

describe('WebRTCRealtimeTransport', () => {
  it('has the seed’s names: FastRTCRealtimeTransport and mountFastRTCRealtime', () => {
    expect(FastRTCRealtimeTransport).toBe(WebRTCRealtimeTransport);
    expect(mountFastRTCRealtime).toBe(mountWebRTCRealtime);
    const t = new FastRTCRealtimeTransport({ inputSampleRate: 16000 });
    expect(t.name).toBe('webrtc-realtime');
    expect(t.sampleRate).toBe(16000);
    expect(new WebRTCRealtimeTransport().sampleRate).toBe(24000);
  });

  it('a browser that connects starts a realtime session on its own; audio flows both ways', async () => {
    const { channel, provider, url } = await rig();
    const c = await caller(url);
    const ready = await c.waitMessage((m) => m.type === 'ready');
    await eventually(() => expect(channel.sessions.map((s) => s.state)).toEqual(['active']), 5000);
    const session = channel.sessions[0]!;
    expect(session.id).toBe(ready.sessionId);
    expect(session.participantId).toBe('caller');
    // Caller -> model: the microphone reaches the provider (16 kHz there, resampled by the channel).
    void c.streamPcm(sine(300, 24000, 600, 8000));
    await eventually(() => {
      const sent = provider.sentAudio(session.providerSession!);
      expect(sent.reduce((n, a) => n + a.length, 0)).toBeGreaterThan(16000 * 0.4);
    }, 5000);
    // Model -> caller: its audio and transcript reach the client over Opus and the data channel.
    provider.simulateAudio(session, sine(440, 24000, 500, 8000));
    provider.simulateTranscription(session, 'It is noon.', { role: 'assistant' });
    await c.waitMessage((m) => m.type === 'transcription' && m.text === 'It is noon.');
    await eventually(() => expect(c.receivedPcm().length).toBeGreaterThan(24000 * 0.4), 5000);
    expect(rms(c.receivedPcm().subarray(2400))).toBeGreaterThan(2000);
  });

  it('the seed’s flow: onClientConnected starts the session with the connection id', async () => {
    const { channel, transport, url } = await rig();
    const started: string[] = [];
    transport.onClientConnected(async (client) => {
      const s = await channel.startSession('room-1', client.participantId, {
        connection: client.id,
        metadata: { via: 'onClientConnected' },
      });
      started.push(s.id);
    });
    const c = await caller(url, 'room-from-offer');
    const ready = await c.waitMessage((m) => m.type === 'ready');
    await eventually(() => expect(started).toHaveLength(1), 5000);
    // The app chose the room, not the offer.
    expect(ready).toMatchObject({ sessionId: started[0], roomId: 'room-1', participantId: 'caller' });
    expect(channel.getSession(started[0]!)?.metadata).toMatchObject({ via: 'onClientConnected' });
    // Hanging up ends the realtime session.
    expect(await c.hangUp()).toBe(204);
    await eventually(() => expect(channel.sessions).toEqual([]), 5000);
  });
});
