/**
 * `roomkit serve` for the voice bench, its voice in this process (0) or in worker processes:
 *   voice-serve-server.ts <workers>
 * The WebSocket voice calls run there (mock speech, AGC, energy VAD, from voice-mock-voice.ts),
 * the kit, the console's voice feed and a mock agent in this process, rooms in memory and made
 * up front. The stats add the workers' CPU and memory, take the worst loop delay, and list
 * each process's.
 */
import { MemoryStore } from '../src/store/memory-store.js';
import { startServer } from '../src/server/index.js';
import { MockAIProvider } from '../src/testing/index.js';
import { createVoice } from './voice-mock-voice.js';
import { announce, serveStats } from './voice-server-stats.js';
import { REPLY_TEXT } from './voice-traffic.js';
import { silentLogger } from '../src/core/logger.js';

const workers = Number(process.argv[2] ?? 1);
const ROOMS = 2400;
const server = await startServer({
  port: 0,
  auth: false,
  store: new MemoryStore(),
  aiProvider: new MockAIProvider({ responses: [REPLY_TEXT], recordCalls: false }),
  voice: createVoice(),
  voiceModule: new URL('voice-mock-voice.ts', import.meta.url).href,
  voiceWorkers: workers,
  realtime: false,
  logger: silentLogger,
});
for (let i = 0; i < ROOMS; i++) {
  const roomId = `load-${i}`;
  await server.kit.createRoom({ roomId });
  await server.kit.attachChannel(roomId, 'agent', { category: 'intelligence' });
}
const pool = server.voiceWorkers;
let idleWorkersRss = pool ? (await pool.stats()).reduce((n, w) => n + w.rss, 0) : 0;
serveStats(
  pool && {
    reset: async () => {
      const stats = await pool.stats();
      idleWorkersRss = Math.min(
        idleWorkersRss,
        stats.reduce((n, w) => n + w.rss, 0),
      );
    },
    combine: async (own) => {
      const stats = await pool.stats();
      return {
        ...own,
        cpu: own.cpu + stats.reduce((n, w) => n + w.cpu, 0),
        loopDelayP99Ms: Math.max(own.loopDelayP99Ms, ...stats.map((w) => w.loopDelayP99Ms)),
        idleRss: own.idleRss + idleWorkersRss,
        maxRss: own.maxRss + stats.reduce((n, w) => n + w.rss, 0),
        processes: [
          { role: 'main', cpu: own.cpu, loopDelayP99Ms: own.loopDelayP99Ms },
          ...stats.map((w) => ({ role: 'worker', cpu: w.cpu, loopDelayP99Ms: w.loopDelayP99Ms })),
        ],
      };
    },
  },
);
announce(`${server.url.replace('http', 'ws')}/voice`);
