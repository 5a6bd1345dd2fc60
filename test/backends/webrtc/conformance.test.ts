import type { VoiceSession } from '../../../src/voice/types.js';
import { describeBackendConformance } from '../../conformance/backend.js';
import { type RtcServer, startRtcServer } from './helpers.js';
import { WeriftClient } from './werift-client.js';

/**
 * The VoiceBackend conformance suite over real WebRTC: werift clients on loopback, Opus both
 * ways (so audio is compared by length: the codec is lossy), the data channel's `clear`.
 */
const servers = new Map<WebRTCBackendUnderTest, { server: RtcServer; clients: WeriftClient[] }>();
type WebRTCBackendUnderTest = RtcServer['backend'];

describeBackendConformance<WebRTCBackendUnderTest>({
  name: 'WebRTCVoiceBackend (werift clients, Opus)',
  sampleRates: [16000],
  lossy: true,
  async create() {
    const server = await startRtcServer({ sampleRate: 16000 });
    servers.set(server.backend, { server, clients: [] });
    return server.backend;
  },
  async openClient(backend, { roomId, participantId, sampleRate }) {
    const entry = servers.get(backend)!;
    const ready = new Promise<VoiceSession>((resolve) => {
      const off = backend.onSessionReady((s) => {
        if (s.participantId !== participantId) return;
        off();
        resolve(s);
      });
    });
    const client = await WeriftClient.connect({
      url: entry.server.url,
      token: `user:${participantId}`,
      roomId,
      sampleRate: sampleRate as 16000,
    });
    entry.clients.push(client);
    await client.waitMessage((m) => m.type === 'ready');
    const session = await ready;
    const frame = sampleRate / 50;
    return {
      session,
      async sendAudio(pcm) {
        for (let i = 0; i + frame <= pcm.length; i += frame) client.sendFrame(pcm.subarray(i, i + frame));
      },
      receivedAudio: () => {
        const pcm = client.receivedPcm();
        return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      },
      clearCount: () => client.messages.filter((m) => m.type === 'clear').length,
      // Hanging up as a browser does (pagehide -> DELETE); a client that just vanishes is
      // reaped by the idle deadline instead (signalling.test.ts).
      drop: async () => {
        await client.hangUp();
        await client.close();
      },
    };
  },
  async destroy(backend) {
    const entry = servers.get(backend)!;
    servers.delete(backend);
    for (const c of entry.clients) await c.close();
    await entry.server.close();
  },
});
