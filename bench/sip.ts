import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deviationQuantile, type RtpStats, SEND_DEVIATION_BUCKETS_MS } from '../src/backends/rtp/index.js';
import { SIPVoiceBackend } from '../src/backends/sip/index.js';
import { RoomKit } from '../src/index.js';
import type { VoiceSession } from '../src/voice/index.js';
import { silentLogger } from '../src/core/logger.js';
import { replyToEveryCall, roomForCall } from './phone-calls.js';

/**
 * Concurrent G.711 phone calls: SIPp places N calls (each playing its PCMA recording into
 * roomkit), every call is a VoiceChannel session (mock STT/TTS, default pipeline) that is
 * given a long reply to speak, so audio flows both ways on every call. While all N are up we
 * read each call's RTP stats: how regularly our packets left (p99 deviation from 20 ms),
 * whether any frame was lost either way, and memory and CPU per call. Every level runs (a
 * noisy machine can fail a small level and pass a larger one); the largest passing level is
 * the figure.
 *
 * `SIP_BENCH_LEVELS=100,300,500` overrides the levels.
 */
const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'sip', 'uac-load.xml');
const REPLY = 'This is a long spoken reply that keeps the line busy while the benchmark measures. '.repeat(4);
const P99_LIMIT_MS = 5;
const WINDOW_MS = 3000;

/** Every live call's RTP stats, by our SSRC (stable across the window). */
function snapshot(backend: SIPVoiceBackend, live: Map<string, VoiceSession>): Map<number, RtpStats> {
  const out = new Map<number, RtpStats>();
  for (const session of live.values()) {
    const s = backend.getStats(session);
    if (s) out.set(s.ssrc, s);
  }
  return out;
}

async function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

interface Level extends Record<string, unknown> {
  calls: number;
  established: number;
  p99JitterMs: number | string;
  maxJitterMs: number;
  lostOutbound: number;
  lostInbound: number;
  pass: boolean;
}

async function level(calls: number): Promise<Level> {
  const kit = new RoomKit({ logger: silentLogger });
  const backend = new SIPVoiceBackend({
    host: '127.0.0.1',
    port: 0,
    transports: ['udp'],
    logger: silentLogger,
    codecs: ['PCMA', 'PCMU'],
    rtcpInterval: 5,
    routeCall: (call) => roomForCall(kit, `call-${call.callId.slice(0, 12)}`),
  });
  // The reply starts once the channel has the call, and lasts longer than the measurement.
  replyToEveryCall(kit, backend, REPLY);
  const live = new Map<string, VoiceSession>();
  backend.onSessionReady((s) => live.set(s.id, s));
  backend.onClientDisconnected((s) => live.delete(s.id));
  global.gc?.();
  const before = process.memoryUsage();
  const { udp } = await backend.listen();
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-bench-sip-'));
  const rate = Math.min(100, calls);
  const sipp = spawn(
    'sipp',
    [
      '-sf',
      FIXTURE,
      `127.0.0.1:${udp}`,
      '-s',
      'bench',
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-mp',
      String(await freeUdpPort()),
      '-r',
      String(rate),
      '-l',
      String(calls),
      '-m',
      String(calls),
      '-nostdin',
      '-timeout',
      '60s',
      '-max_socket',
      String(calls * 2 + 100),
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((r) => sipp.once('exit', (code) => r(code)));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  // Wait until every call is up and talking (or the ramp stalls), then measure a 3 s window.
  const talking = () =>
    [...live.values()].filter((v) => (backend.getStats(v)?.outbound.intervals ?? 0) > 0).length;
  const deadline = Date.now() + (calls / rate) * 1000 + 10_000;
  while ((live.size < calls || talking() < live.size) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const start = snapshot(backend, live);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  loop.reset();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const established = live.size;
  const during = process.memoryUsage();
  const end = snapshot(backend, live);
  loop.disable();
  const stats = [...end.values()];
  const histogram = SEND_DEVIATION_BUCKETS_MS.map((_, i) =>
    stats.reduce((n, s) => n + s.outbound.histogram[i] - (start.get(s.ssrc)?.outbound.histogram[i] ?? 0), 0),
  );
  // A frame more than a packet time late is lost to a listener with a one-frame jitter
  // buffer. Slip: how far the stream fell behind real time (frames short of the wall clock).
  const lostOutbound = histogram.slice(SEND_DEVIATION_BUCKETS_MS.indexOf(20) + 1).reduce((a, b) => a + b, 0);
  let slippedFrames = 0;
  for (const s of stats) {
    const o = s.outbound;
    if (o.spurtStartMs === undefined || o.lastSendMs === undefined) continue;
    const expected = Math.floor((o.lastSendMs - o.spurtStartMs) / 20) + 1;
    slippedFrames += Math.max(0, expected - o.spurtPackets);
  }
  const lostInbound = stats.reduce(
    (n, s) =>
      n +
      s.packetsLost +
      s.jitterBuffer.lost -
      ((start.get(s.ssrc)?.packetsLost ?? 0) + (start.get(s.ssrc)?.jitterBuffer.lost ?? 0)),
    0,
  );
  const p99 = deviationQuantile(histogram, 0.99);
  const result: Level = {
    calls,
    established,
    p99JitterMs: Number.isFinite(p99) ? p99 : 'over 50',
    maxJitterMs: Math.round(Math.max(0, ...stats.map((s) => s.outbound.maxDeviationMs)) * 100) / 100,
    lostOutbound,
    lostInbound,
    slippedFrames,
    packetsSent: stats.reduce((n, s) => n + s.packetsSent - (start.get(s.ssrc)?.packetsSent ?? 0), 0),
    packetsReceived: stats.reduce(
      (n, s) => n + s.packetsReceived - (start.get(s.ssrc)?.packetsReceived ?? 0),
      0,
    ),
    // CPU of this process per call and second of call: what bounds the count on one core.
    cpuMsPerCallSecond:
      Math.round(((cpu.user + cpu.system) / 1000 / established / (wallMs / 1000)) * 100) / 100,
    eventLoopP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
    rssPerCallKiB: Math.round((during.rss - before.rss) / 1024 / Math.max(1, established)),
    heapPerCallKiB: Math.round((during.heapUsed - before.heapUsed) / 1024 / Math.max(1, established)),
    // Every call must be talking (packets measured), or the figures would flatter us.
    speaking: stats.filter((s) => s.outbound.intervals > (start.get(s.ssrc)?.outbound.intervals ?? 0)).length,
    pass:
      established === calls &&
      stats.every((s) => s.outbound.intervals > (start.get(s.ssrc)?.outbound.intervals ?? 0)) &&
      p99 < P99_LIMIT_MS &&
      lostOutbound === 0 &&
      lostInbound === 0,
  };
  sipp.kill('SIGKILL');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  await backend.close();
  await kit.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function benchSip(): Promise<Record<string, unknown>[]> {
  const levels = (process.env.SIP_BENCH_LEVELS ?? '50,100,200,300,400,500,600')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const out: Record<string, unknown>[] = [];
  let best = 0;
  for (const calls of levels) {
    const r = await level(calls);
    out.push({ name: 'sip_concurrent_g711_calls', ...r });
    if (r.pass) best = calls;
    // Past the point where calls no longer get set up, more calls tell nothing new.
    if (r.established < calls) break;
  }
  out.push({
    name: 'sip_max_calls_p99_jitter_under_5ms',
    value: best,
    unit: 'calls',
    rssPerCallKiB: out.find((r) => r.calls === best)?.rssPerCallKiB,
  });
  return out;
}
