import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { AIChannel, ChannelCategory, type Logger, RoomKit } from '../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../src/testing/index.js';
import {
  EnergyVADProvider,
  MockVoiceBackend,
  SimpleAGCProvider,
  VoiceChannel,
  WebSocketVoiceBackend,
} from '../src/voice/index.js';

const run = promisify(execFile);
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const round = (x: number) => Math.round(x * 1000) / 1000;

function frame(amplitude: number) {
  const data = new Int16Array(320).map((_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000)),
  );
  return { data, sampleRate: 16000, channels: 1 };
}

/** (3) End of speech -> first TTS frame handed to the backend, with zero-latency mocks. */
async function turnOverhead(turns = 300): Promise<Record<string, unknown>> {
  const kit = new RoomKit({ logger: silent });
  const backend = new MockVoiceBackend({ playbackRealtime: false });
  const voice = new VoiceChannel('phone', {
    stt: new MockSTTProvider({ transcripts: ['what is the weather'], streaming: false }),
    tts: new MockTTSProvider({ msPerChar: 2 }),
    backend,
    pipeline: { vad: new EnergyVADProvider({ minSpeechMs: 60, silenceMs: 100 }) },
  });
  kit.registerChannel(voice);
  kit.registerChannel(new AIChannel('ai', { provider: new MockAIProvider({ responses: ['Sunny.'] }) }));
  await kit.createRoom({ roomId: 'r' });
  await kit.attachChannel('r', 'ai', { category: ChannelCategory.INTELLIGENCE });
  const session = await kit.connectVoice('r', 'u', 'phone');
  const samples: number[] = [];
  let resolveTurn!: () => void;
  kit.on('metric', (m) => {
    if (m.name === 'voice.user_stop_to_first_frame_sent') {
      samples.push(m.valueMs);
      resolveTurn();
    }
  });
  const loud = frame(6000);
  const quiet = frame(20);
  for (let t = 0; t < turns + 20; t++) {
    const done = new Promise<void>((r) => {
      resolveTurn = r;
    });
    for (let i = 0; i < 6; i++) await backend.simulateAudioReceived(session, loud);
    for (let i = 0; i < 6; i++) await backend.simulateAudioReceived(session, quiet);
    await done;
    await kit.waitForIdle();
  }
  await kit.close();
  const measured = samples.slice(20); // the first turns warm the JIT
  return {
    bench: 'voice_turn_overhead',
    turns: measured.length,
    endOfSpeechToFirstFrameMs: { p50: round(pct(measured, 0.5)), p99: round(pct(measured, 0.99)) },
  };
}

/** (2) Concurrent full-duplex WebSocket voice sessions: the most that keep p99 frame lag < 20 ms. */
async function concurrentSessions(): Promise<Record<string, unknown>[]> {
  const kit = new RoomKit({ logger: silent });
  const http = createServer();
  const backend = new WebSocketVoiceBackend({
    server: http,
    path: '/voice',
    authenticate: (req) => ({ userId: new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? 'u' }),
    logger: silent,
  });
  const voice = new VoiceChannel('voice', {
    stt: new MockSTTProvider({ transcripts: ['tell me something'], streaming: false }),
    tts: new MockTTSProvider({ msPerChar: 12 }),
    backend,
    pipeline: {
      agc: new SimpleAGCProvider({ targetLevelDbfs: -12 }),
      vad: new EnergyVADProvider({ threshold: 300, silenceMs: 500 }),
    },
  });
  kit.registerChannel(voice);
  kit.registerChannel(
    new AIChannel('ai', {
      provider: new MockAIProvider({ responses: ['Here is a reply of about one second.'] }),
    }),
  );
  // Rooms are created on demand by the sessions' start messages.
  const ensureRoom = async (id: string) => {
    if (!(await kit.getRoom(id))) {
      await kit.createRoom({ roomId: id });
      await kit.attachChannel(id, 'ai', { category: ChannelCategory.INTELLIGENCE });
    }
  };
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/voice`;
  const out: Record<string, unknown>[] = [];
  let best = 0;
  for (const n of [50, 100, 200, 300, 400, 500, 600, 800]) {
    for (let i = 0; i < n; i++) await ensureRoom(`load-${i}`);
    const before = process.memoryUsage();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', new URL('voice-load-client.ts', import.meta.url).pathname, url, String(n), '8'],
      {
        maxBuffer: 1 << 20,
      },
    );
    loop.disable();
    const client = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const after = process.memoryUsage();
    const serverP99 = loop.percentile(99) / 1e6;
    const ok = client.opened === n && client.p99 < 20 && serverP99 < 20;
    out.push({
      bench: 'voice_concurrent_sessions',
      sessions: n,
      opened: client.opened,
      receivedFrameLatenessMs: { p50: round(client.p50), p99: round(client.p99) },
      serverEventLoopDelayP99Ms: round(serverP99),
      rssPerSessionKiB: Math.round((after.rss - before.rss) / 1024 / n),
      ok,
    });
    if (!ok) break;
    best = n;
    await new Promise((r) => setTimeout(r, 500));
  }
  await kit.close();
  http.closeAllConnections();
  http.close();
  out.push({ bench: 'voice_concurrent_sessions_max', sessionsWithP99Under20ms: best });
  return out;
}

export async function benchVoice(): Promise<Record<string, unknown>[]> {
  return [await turnOverhead(), ...(await concurrentSessions())];
}
