import { performance } from 'node:perf_hooks';
import { RoomKit } from '../src/index.js';
import { OpenAIRealtimeProvider } from '../src/providers/openai/realtime-provider.js';
import { silentRealtimeLogger } from '../src/realtime/logger.js';
import type { RealtimeVoiceSession } from '../src/realtime/realtime-channel-types.js';
import { RealtimeVoiceChannel } from '../src/realtime/realtime-voice-channel.js';
import { FakeOpenAIRealtimeServer, silence, tone } from '../src/testing/fake-realtime/index.js';
import { MockRealtimeProvider } from '../src/testing/mock-realtime-provider.js';
import { MockRealtimeTransport } from '../src/testing/mock-realtime-transport.js';
import type { VoiceSession } from '../src/voice/types.js';
import { silentLogger } from '../src/core/logger.js';
import { quantile } from './quantile.js';

/**
 * What RealtimeVoiceChannel itself adds, per 20 ms audio frame, with the transport at 48 kHz
 * (so both directions resample) and OpenAI's fake server (fixed 5 ms latency) behind it:
 * - inbound: transport delivers a frame -> `provider.sendAudio` is called (binding gate,
 *   resample 48k -> 16k, level metering); and -> the fake has it (adds the provider + socket);
 * - outbound: the provider emits `audio` -> the transport's `sendAudio` is called (resample
 *   24k -> 48k, pacer), for frames that arrive slower than real time (no pacing wait);
 * - concurrency: channel sessions (in-memory provider and transport) streaming full duplex
 *   at real time in one process while the 20 ms tick stays on time (p99 lag < 20 ms).
 */

const RATE = 48_000;
const FRAMES = 200;

const us = (ms: number) => Math.round(ms * 1000);

async function latency(): Promise<Record<string, unknown>> {
  const fake = await new FakeOpenAIRealtimeServer({ latencyMs: 5 }).start();
  const provider = new OpenAIRealtimeProvider({
    apiKey: 'test-key',
    baseUrl: `${fake.url}/v1`,
    logger: silentRealtimeLogger,
  });
  let emittedAt = 0;
  provider.on('audio', () => {
    emittedAt = performance.now(); // registered before the channel's listener
  });
  const outbound: number[] = [];
  class TimedTransport extends MockRealtimeTransport {
    override async sendAudio(
      session: VoiceSession,
      audio: Parameters<MockRealtimeTransport['sendAudio']>[1],
    ) {
      outbound.push(performance.now() - emittedAt);
      return super.sendAudio(session, audio);
    }
  }
  const inbound: number[] = [];
  let sentAt = 0;
  const send = provider.sendAudio.bind(provider);
  provider.sendAudio = (session, pcm) => {
    inbound.push(performance.now() - sentAt);
    send(session, pcm);
  };
  const kit = new RoomKit({ logger: silentLogger });
  const transport = new TimedTransport({ sampleRate: RATE, playbackRealtime: false });
  const channel = new RealtimeVoiceChannel('voice', { provider, transport });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'bench' });
  const s = await channel.startSession('bench', 'caller');
  // A long answer in 20 ms chunks, 25 ms apart: each frame leaves as soon as it arrives.
  fake.queueTurn({
    userTranscript: 'go',
    reply: { audioMs: FRAMES * 20, chunks: FRAMES, chunkIntervalMs: 25 },
  });
  const frame = tone(20, RATE);
  const arrivals: number[] = [];
  const before = () => fake.allReceived((m) => m.type === 'input_audio_buffer.append').length;
  for (let i = 0; i < 10; i++) {
    sentAt = performance.now();
    await transport.simulateAudioReceived(s.transportSession, frame);
  }
  await transport.simulateAudioReceived(s.transportSession, silence(60, RATE));
  // Quiet frames while the answer plays: the inbound figures, socket included.
  for (let i = 0; i < FRAMES && outbound.length < FRAMES; i++) {
    const have = before();
    sentAt = performance.now();
    await transport.simulateAudioReceived(s.transportSession, silence(20, RATE));
    await fake.waitForMessage((m) => m.type === 'input_audio_buffer.append', { count: have + 1 });
    arrivals.push(fake.connections[0].received.at(-1)!.at - sentAt);
    await new Promise((r) => setTimeout(r, 20));
  }
  await kit.close();
  await fake.close();
  const steady = outbound.slice(2); // the first frames of an answer include the pacer's start
  return {
    name: 'realtime_channel_frame_latency',
    transport_rate: RATE,
    inbound_channel_p50_us: us(quantile(inbound, 0.5)),
    inbound_channel_p99_us: us(quantile(inbound, 0.99)),
    inbound_to_fake_p50_ms: Math.round(quantile(arrivals, 0.5) * 100) / 100,
    inbound_to_fake_p99_ms: Math.round(quantile(arrivals, 0.99) * 100) / 100,
    outbound_channel_p50_us: us(quantile(steady, 0.5)),
    outbound_channel_p99_us: us(quantile(steady, 0.99)),
    frames_out: outbound.length,
  };
}

/** Full duplex for `seconds` with `n` sessions; returns the 20 ms tick's p99 lag. */
async function duplex(n: number, seconds: number): Promise<{ p99LagMs: number; heapMb: number }> {
  const kit = new RoomKit({ logger: silentLogger });
  const provider = new MockRealtimeProvider();
  const transport = new MockRealtimeTransport({ sampleRate: RATE, playbackRealtime: false });
  const channel = new RealtimeVoiceChannel('voice', { provider, transport });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'bench' });
  const sessions: RealtimeVoiceSession[] = [];
  for (let i = 0; i < n; i++) sessions.push(await channel.startSession('bench', `caller-${i}`));
  const inFrame = tone(20, RATE);
  const outFrame = tone(20, 24_000);
  const lags: number[] = [];
  let expected = performance.now() + 20;
  await new Promise<void>((resolve) => {
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(Math.max(0, now - expected));
      expected = now + 20;
      for (const s of sessions) {
        void transport.simulateAudioReceived(s.transportSession, inFrame);
        provider.simulateAudio(s.providerSession!, outFrame, { itemId: 'answer' });
        // The in-memory provider keeps what it is sent; a real one forwards it.
        provider.sentAudio(s.providerSession!).length = 0;
      }
      transport.sentAudio.length = 0;
      if (++ticks >= seconds * 50) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  await kit.close();
  return { p99LagMs: Math.round(quantile(lags, 0.99) * 10) / 10, heapMb };
}

async function concurrency(): Promise<Record<string, unknown>> {
  let held = 0;
  const steps: Record<string, number> = {};
  for (const n of [100, 250, 500, 1000, 2000]) {
    const { p99LagMs, heapMb } = await duplex(n, 2);
    steps[`lag_p99_ms_at_${n}`] = p99LagMs;
    steps[`heap_mb_at_${n}`] = heapMb;
    if (p99LagMs >= 20) break;
    held = n;
  }
  return { name: 'realtime_channel_concurrent_sessions', sessions_held: held, ...steps };
}

export async function benchRealtimeChannel(): Promise<Record<string, unknown>[]> {
  return [await latency(), await concurrency()];
}
