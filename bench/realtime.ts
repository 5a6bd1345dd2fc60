import { performance } from 'node:perf_hooks';
import { ElevenLabsRealtimeProvider } from '../src/providers/elevenlabs/realtime-provider.js';
import { GeminiLiveProvider } from '../src/providers/gemini/live-provider.js';
import { OpenAIRealtimeProvider } from '../src/providers/openai/realtime-provider.js';
import { XAIRealtimeProvider } from '../src/providers/xai/realtime-provider.js';
import { silentRealtimeLogger } from '../src/realtime/logger.js';
import type { RealtimeVoiceProvider } from '../src/realtime/provider.js';
import type { RealtimeSession } from '../src/realtime/session.js';
import {
  FakeElevenLabsConvaiServer,
  FakeGeminiLiveServer,
  FakeOpenAIRealtimeServer,
  type FakeRealtimeServer,
  FakeXAIRealtimeServer,
  silence,
  tone,
} from '../src/testing/fake-realtime/index.js';
import { quantile } from './quantile.js';

/**
 * The realtime provider layer's own cost, against fake vendor servers on 127.0.0.1 that add
 * a fixed latency (excluded: timestamps are taken when the fake actually writes/reads).
 * - outbound: fake writes an audio delta -> the provider emits `audio` (parse, validate,
 *   decode, resample), per 20 ms frame, p50/p99;
 * - inbound: `sendAudio()` called -> the fake has the frame (resample, encode, JSON, socket);
 * - concurrency: sessions one process holds open at once (fakes in the same process).
 */

const FRAMES = 200;
const FRAME_MS = 20;
const FIXED_LATENCY_MS = 5;
const MAX_SESSIONS = 1000;

interface Protocol {
  name: string;
  fake: () => FakeRealtimeServer<any>;
  provider: (url: string) => RealtimeVoiceProvider;
  isAudioOut: (m: any) => boolean;
  isAudioIn: (m: any) => boolean;
}

const logger = silentRealtimeLogger;
const PROTOCOLS: Protocol[] = [
  {
    name: 'openai',
    fake: () => new FakeOpenAIRealtimeServer({ latencyMs: FIXED_LATENCY_MS }),
    provider: (url) => new OpenAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${url}/v1`, logger }),
    isAudioOut: (m) => m.type === 'response.output_audio.delta',
    isAudioIn: (m) => m.type === 'input_audio_buffer.append',
  },
  {
    name: 'xai',
    fake: () => new FakeXAIRealtimeServer({ latencyMs: FIXED_LATENCY_MS }),
    provider: (url) => new XAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${url}/v1`, logger }),
    isAudioOut: (m) => m.type === 'response.output_audio.delta',
    isAudioIn: (m) => m.type === 'input_audio_buffer.append',
  },
  {
    name: 'gemini',
    fake: () => new FakeGeminiLiveServer({ latencyMs: FIXED_LATENCY_MS }),
    provider: (url) => new GeminiLiveProvider({ apiKey: 'test-key', baseUrl: url, logger }),
    isAudioOut: (m) => m.serverContent?.modelTurn !== undefined,
    isAudioIn: (m) => m.realtimeInput?.audio !== undefined,
  },
  {
    name: 'elevenlabs',
    fake: () => new FakeElevenLabsConvaiServer({ latencyMs: FIXED_LATENCY_MS }),
    provider: (url) =>
      new ElevenLabsRealtimeProvider({ apiKey: 'test-key', agentId: 'agent_test', baseUrl: url, logger }),
    isAudioOut: (m) => m.type === 'audio',
    isAudioIn: (m) => typeof m.user_audio_chunk === 'string',
  },
];

const config = { systemPrompt: 'bench', inputSampleRate: 16000, outputSampleRate: 24000 };

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench realtime: timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function frameLatency(protocol: Protocol): Promise<Record<string, unknown>> {
  const fake = await protocol.fake().start();
  const provider = protocol.provider(fake.url);
  const emitted: number[] = [];
  provider.on('audio', () => emitted.push(performance.now()));
  const session = await provider.connect(config);
  const conn = await fake.waitForConnection(0);
  try {
    // Inbound: silent 20 ms frames paced every 5 ms (no turn is triggered by silence).
    const sentAt: number[] = [];
    const callUs: number[] = [];
    const frame = silence(FRAME_MS, 16000);
    for (let i = 0; i < FRAMES; i++) {
      const t0 = performance.now();
      provider.sendAudio(session, frame);
      callUs.push((performance.now() - t0) * 1000);
      sentAt.push(t0);
      await sleep(5);
    }
    await until(
      () => conn.received.filter((r) => protocol.isAudioIn(r.message)).length >= FRAMES,
      'inbound frames',
    );
    const arrived = conn.received.filter((r) => protocol.isAudioIn(r.message)).map((r) => r.at);
    const inbound = arrived.slice(0, FRAMES).map((at, i) => at - sentAt[i]);

    // Outbound: one answer of FRAMES deltas of 20 ms, written every 5 ms by the fake.
    fake.queueTurn({ reply: { audioMs: FRAMES * FRAME_MS, chunks: FRAMES, chunkIntervalMs: 5 } });
    speakOnce(provider, session);
    await until(() => emitted.length >= FRAMES, 'outbound frames');
    const written = conn.sent.filter((s) => protocol.isAudioOut(s.message)).map((s) => s.at);
    const outbound = emitted.slice(0, FRAMES).map((at, i) => at - written[i]);
    return {
      name: `${protocol.name}_frame_latency`,
      fixed_latency_ms: FIXED_LATENCY_MS,
      frames: FRAMES,
      inbound_p50_ms: round(quantile(inbound, 0.5)),
      inbound_p99_ms: round(quantile(inbound, 0.99)),
      inbound_send_call_p50_us: Math.round(quantile(callUs, 0.5)),
      inbound_send_call_p99_us: Math.round(quantile(callUs, 0.99)),
      outbound_p50_ms: round(quantile(outbound, 0.5)),
      outbound_p99_ms: round(quantile(outbound, 0.99)),
    };
  } finally {
    await provider.disconnect(session);
    await fake.close();
  }
}

function speakOnce(provider: RealtimeVoiceProvider, session: RealtimeSession): void {
  provider.sendAudio(session, tone(100, 16000));
  provider.sendAudio(session, silence(40, 16000));
}

/** Open sessions in batches until MAX_SESSIONS (or a failure); then check each still carries audio. */
async function concurrency(): Promise<Record<string, unknown>> {
  const fake = await new FakeOpenAIRealtimeServer().start();
  const provider = new OpenAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${fake.url}/v1`, logger });
  const sessions: RealtimeSession[] = [];
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let failure: string | undefined;
  try {
    while (sessions.length < MAX_SESSIONS && !failure) {
      const batch = await Promise.allSettled(Array.from({ length: 50 }, () => provider.connect(config)));
      for (const r of batch) {
        if (r.status === 'fulfilled') sessions.push(r.value);
        else failure ??= String(r.reason);
      }
    }
    const connectMs = performance.now() - t0;
    const frame = silence(FRAME_MS, 16000);
    const before = fake.allReceived((m) => m.type === 'input_audio_buffer.append').length;
    const s0 = performance.now();
    for (const s of sessions) provider.sendAudio(s, frame);
    await until(
      () =>
        fake.allReceived((m) => m.type === 'input_audio_buffer.append').length >= before + sessions.length,
      'a frame on every session',
    );
    const fanoutMs = performance.now() - s0;
    const mem = process.memoryUsage();
    return {
      name: 'openai_concurrent_sessions',
      sessions_held: sessions.length,
      cap: MAX_SESSIONS,
      failure,
      connect_total_ms: Math.round(connectMs),
      one_frame_to_all_ms: round(fanoutMs),
      heap_per_session_kb: Math.round((mem.heapUsed - heapBefore) / 1024 / Math.max(1, sessions.length)),
      rss_per_session_kb: Math.round((mem.rss - rssBefore) / 1024 / Math.max(1, sessions.length)),
      note: 'client and fake server in one process: each session costs two sockets here',
    };
  } finally {
    await Promise.all(sessions.map((s) => provider.disconnect(s)));
    await fake.close();
  }
}

export async function benchRealtime(): Promise<Record<string, unknown>[]> {
  const results: Record<string, unknown>[] = [];
  for (const protocol of PROTOCOLS) results.push(await frameLatency(protocol));
  results.push(await concurrency());
  return results;
}
