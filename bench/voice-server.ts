/**
 * Our side of the concurrent voice sessions bench, as its own process: a RoomKit with a
 * VoiceChannel on the WebSocket voice backend, the default pipeline (AGC, energy VAD; a
 * client at another rate would add the resampler), mock STT/TTS and a mock AI that answers
 * every utterance. Rooms are created when a session asks for one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AIChannel, ChannelCategory, RoomKit } from '../src/index.js';
import { MockAIProvider } from '../src/testing/index.js';
import { createVoice } from './voice-mock-voice.js';
import { VoiceChannel, WebSocketVoiceBackend } from '../src/voice/index.js';
import { announce, turnLatencies, serveStats } from './voice-server-stats.js';
import { REPLY_TEXT } from './voice-traffic.js';
import { silentLogger } from '../src/core/logger.js';

const kit = new RoomKit({ logger: silentLogger });
const http = createServer();
const rooms = new Map<string, Promise<unknown>>();
const ensureRoom = (id: string) => {
  let ready = rooms.get(id);
  if (!ready) {
    ready = (async () => {
      if (await kit.getRoom(id)) return;
      await kit.createRoom({ roomId: id });
      await kit.attachChannel(id, 'ai', { category: ChannelCategory.INTELLIGENCE });
    })();
    rooms.set(id, ready);
  }
  return ready;
};
const backend = new WebSocketVoiceBackend({
  server: http,
  path: '/voice',
  authenticate: (req) => ({ userId: new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? 'u' }),
  authorizeSession: async ({ roomId }) => {
    await ensureRoom(roomId);
    return true as const;
  },
  logger: silentLogger,
});
const { stt, tts, pipeline } = createVoice();
kit.registerChannel(new VoiceChannel('voice', { stt, tts, backend, pipeline }));
kit.registerChannel(
  new AIChannel('ai', { provider: new MockAIProvider({ responses: [REPLY_TEXT], recordCalls: false }) }),
);
// How long callers wait for each step of their turn under load (bursts queue behind each other).
const latencies = turnLatencies();
kit.on('metric', (m) => {
  if (m.name.startsWith('voice.user_stop_to_'))
    latencies.add(m.name.slice('voice.user_stop_to_'.length), m.valueMs);
});
http.listen(0, '127.0.0.1', () => {
  serveStats(latencies.hooks);
  announce(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/voice`);
});
