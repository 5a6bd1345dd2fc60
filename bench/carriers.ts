import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RoomKit } from '../src/index.js';
import { CARRIER_LEAD_MS } from '../src/providers/shared/media-stream/index.js';
import { TwilioMediaStreamBackend } from '../src/providers/twilio/index.js';
import { FakeTwilioServer } from '../src/testing/index.js';
import { silentLogger } from '../src/core/logger.js';
import { replyToEveryCall, roomForCall } from './phone-calls.js';

/**
 * Concurrent Twilio calls through Media Streams: a separate process plays Twilio for N calls
 * (signed webhook, signed WebSocket, 20 ms of mu-law up every 20 ms, what comes back played
 * in real time with marks echoed), every call is a VoiceChannel session (mock STT/TTS) given a
 * long reply, so audio flows both ways on every call. Once every call hears its reply, a 4 s
 * window is measured. The figure is the most calls whose outbound frames arrive with p99
 * lateness under 20 ms (a frame is late by how long after
 * the audio before it finished playing it arrived: an audible gap). Every level runs; the
 * largest passing one is reported, with CPU per call-second and event-loop delay, which say
 * what limits it.
 *
 * `CARRIER_BENCH_LEVELS=50,100,200` overrides the levels.
 */
const REPLY = 'This is a long spoken reply that keeps the line busy while the benchmark measures. '.repeat(6);
const P99_LIMIT_MS = 20;
const SECONDS = 4;

interface ClientReport {
  opened: number;
  frames: number;
  p50: number;
  p99: number;
  max: number;
  marksEchoed: number;
  talking: number;
}

async function level(calls: number): Promise<Record<string, unknown>> {
  const twilio = new FakeTwilioServer();
  await twilio.start();
  const kit = new RoomKit({ logger: silentLogger });
  const backend = new TwilioMediaStreamBackend({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    baseUrl: twilio.baseUrl,
    logger: silentLogger,
    routeCall: (call) => roomForCall(kit, `call-${call.callId.slice(2, 14)}`),
  });
  // As roomkit serve runs carrier calls: the carrier's buffer takes the lead (see CARRIER_LEAD_MS).
  replyToEveryCall(kit, backend, REPLY, { leadMs: CARRIER_LEAD_MS });
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  backend.attach(http);
  const webhookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/carriers/twilio/answer`;
  global.gc?.();
  const before = process.memoryUsage();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const client = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('carrier-load-client.ts', import.meta.url).pathname,
      webhookUrl,
      twilio.accountSid,
      twilio.authToken,
      String(calls),
      String(SECONDS),
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  client.stdout.on('data', (d) => {
    out += d;
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);
  await new Promise((resolve) => client.once('exit', resolve));
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  loop.disable();
  const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ClientReport;
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await kit.close();
  await backend.close();
  await twilio.stop();
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    calls,
    opened: report.opened,
    talking: report.talking,
    p50LatenessMs: round(report.p50),
    p99LatenessMs: round(report.p99),
    maxLatenessMs: round(report.max),
    framesMeasured: report.frames,
    marksEchoed: report.marksEchoed,
    // Server CPU over the whole run (setup included) per call and second: what bounds the count.
    cpuMsPerCallSecond: round((cpu.user + cpu.system) / 1000 / calls / (wallMs / 1000)),
    eventLoopP99Ms: round(loop.percentile(99) / 1e6),
    rssPerCallKiB: Math.round((peakRss - before.rss) / 1024 / Math.max(1, calls)),
    pass: report.opened === calls && report.talking === calls && report.p99 < P99_LIMIT_MS,
  };
}

export async function benchCarriers(): Promise<Record<string, unknown>[]> {
  const levels = (process.env.CARRIER_BENCH_LEVELS ?? '25,50,100,150,200,250,300')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const out: Record<string, unknown>[] = [];
  let best = 0;
  for (const calls of levels) {
    const r = await level(calls);
    out.push({ name: 'twilio_media_stream_concurrent_calls', ...r });
    if (r.pass) best = calls;
    if (r.opened !== calls) break;
  }
  out.push({
    name: 'twilio_max_calls_p99_frame_lateness_under_20ms',
    value: best,
    unit: 'calls',
    cpuMsPerCallSecond: out.find((r) => r.calls === best)?.cpuMsPerCallSecond,
  });
  return out;
}
