import { AIChannel, ChannelCategory, RoomKit } from '../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../src/testing/index.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../src/voice/index.js';
import { type SweepResult, sweepTogether, warmUpSessions } from './voice-sessions.js';
import { cpuAtSameCount } from './cpu-at-same-count.js';
import { silentLogger } from '../src/core/logger.js';
import { quantile } from './quantile.js';

const round = (x: number) => Math.round(x * 1000) / 1000;

function frame(amplitude: number) {
  const data = new Int16Array(320).map((_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000)),
  );
  return { data, sampleRate: 16000, channels: 1 };
}

/** (3) End of speech -> first TTS frame handed to the backend, with zero-latency mocks. */
async function turnOverhead(turns = 300): Promise<Record<string, unknown>> {
  const kit = new RoomKit({ logger: silentLogger });
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
    endOfSpeechToFirstFrameMs: { p50: round(quantile(measured, 0.5)), p99: round(quantile(measured, 0.99)) },
  };
}

/** Session counts of the sweep; `ROOMKIT_BENCH_VOICE_COUNTS=700` runs one (e.g. under a profiler). */
const COUNTS = (process.env.ROOMKIT_BENCH_VOICE_COUNTS ?? '100,200,400,600,800,1000,1200,1400,1600,2000')
  .split(',')
  .map(Number);
/**
 * `ROOMKIT_BENCH_VOICE_RUNS=3`: each count runs up to three times and passes when two do
 * (near the limit one run passes or fails with the machine's drift; default one run).
 */
const RUNS = Number(process.env.ROOMKIT_BENCH_VOICE_RUNS ?? 1);
/** `ROOMKIT_BENCH_VOICE_WARMUP=200`: sessions of an unmeasured run before each sweep (see `warmUpSessions`). */
const WARM_UP = warmUpSessions();
/** Our server and the bare one in both modes; add `serve-1-worker:lockstep` etc. for the workers' curve. */
const DEFAULT_RUNS = 'roomkit:lockstep,bare-ws:lockstep,roomkit:staggered,bare-ws:staggered';

/**
 * (2) Concurrent full-duplex WebSocket voice sessions: the most that keep p99 frame lateness
 * (and the server's loop delay during the calls; opening them is reported apart, as
 * `serverOpeningLoopDelayP99Ms`) under 20 ms with no frame lost, for our server and a bare
 * `ws` server sending the same traffic (the machine's limit), turns in lockstep and staggered.
 * `ROOMKIT_BENCH_VOICE=roomkit:lockstep,serve-2-workers:staggered` picks the runs (servers:
 * roomkit (the library: kit, voice channel, mock agent), bare-ws, serve (`roomkit serve`, voice
 * in process, with the console's voice feed), serve-1-worker, serve-2-workers);
 * `ROOMKIT_BENCH_VOICE_FRAMES=spread` spreads the callers' frames over each 20 ms (see
 * voice-load-client.ts; lines say `framesSent`). The servers of one mode are swept together,
 * taking turns count by count (`sweepTogether`), so that their ratio is not the machine's drift
 * between two sweeps half an hour apart; the ratio's line also gives both servers' CPU at the
 * same count (`cpu-at-same-count.ts`).
 */
async function concurrentSessions(): Promise<Record<string, unknown>[]> {
  const servers: Record<string, [string, string[]]> = {
    roomkit: ['voice-server.ts', []],
    'bare-ws': ['bare-ws-server.ts', []],
    // `roomkit serve`, and with `--voice-workers N`: the curve for one and two worker processes.
    serve: ['voice-serve-server.ts', ['0']],
    'serve-1-worker': ['voice-serve-server.ts', ['1']],
    'serve-2-workers': ['voice-serve-server.ts', ['2']],
  };
  const wanted = (process.env.ROOMKIT_BENCH_VOICE ?? DEFAULT_RUNS).split(',').filter(Boolean);
  const out: Record<string, unknown>[] = [];
  const swept = new Map<string, SweepResult>();
  const broken: string[] = [];
  for (const mode of ['lockstep', 'staggered'] as const) {
    const picked = Object.entries(servers).filter(([server]) => wanted.includes(`${server}:${mode}`));
    // Swept together, taking turns count by count: ours and the bare server in the same minutes.
    const results = await sweepTogether(
      picked.map(([server, [module, args]]) => ({
        server,
        module,
        args,
        mode,
        counts: COUNTS,
        runs: RUNS,
        warmUp: WARM_UP,
      })),
    );
    for (const [i, [server]] of picked.entries()) {
      const result = results[i]!;
      out.push(...result.lines);
      out.push({
        bench: 'voice_concurrent_sessions_max',
        server,
        mode,
        sessionsWithP99Under20ms: result.max,
        p99CrossesAt: result.failedAt ?? null,
        runsPerCount: RUNS,
        warmUpSessions: WARM_UP,
        sweptWith: picked.map(([other]) => other).filter((other) => other !== server),
      });
      swept.set(`${server}:${mode}`, result);
      broken.push(...result.broken.map((b) => `${server} ${mode}: ${b}`));
    }
    const ours = swept.get(`roomkit:${mode}`);
    const bare = swept.get(`bare-ws:${mode}`);
    if (ours !== undefined && bare !== undefined) {
      out.push({
        bench: 'voice_concurrent_sessions_vs_bare_ws',
        mode,
        roomkit: ours.max,
        bareWs: bare.max,
        ratio: bare.max ? Math.round((ours.max / bare.max) * 100) / 100 : null,
        serverCpuAtSameCount: cpuAtSameCount(ours, bare) ?? null,
      });
    }
  }
  for (const line of out) console.error(JSON.stringify(line));
  // Lost frames or sessions that never opened while latency was fine are bugs, not limits.
  if (broken.length) throw new Error(`voice sessions lost audio or sessions: ${broken.join(' | ')}`);
  return out;
}

export async function benchVoice(): Promise<Record<string, unknown>[]> {
  return [await turnOverhead(), ...(await concurrentSessions())];
}
