/**
 * `npm run bench -- webrtc`: concurrent WebRTC voice sessions on werift with Opus both ways.
 *
 * The server (this process) runs WebRTCVoiceBackend: every session decodes the client's
 * Opus (16 kHz) and sends a reply stream paced at real time by an OutboundPacer (the voice
 * channel's pacer), encoded to Opus. The clients are werift peers in a child process (so
 * they do not share the server's event loop), each sending 20 ms of Opus every 20 ms and
 * timing the frames that come back. The figure: the most sessions whose received frames
 * stay within 20 ms of their schedule at p99, and the server's CPU per session.
 *
 * Then one run at a fixed load is profiled (V8 CPU profile of the server) and the time is
 * split by layer: DTLS, SRTP, SCTP, ICE, Opus, RTP/WebRTC plumbing, roomkit, UDP I/O, GC.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mountWebRTC, WebRTCVoiceBackend } from '../src/backends/webrtc/index.js';
import { silentLogger } from '../src/core/logger.js';
import { OutboundPacer } from '../src/voice/pacer.js';
import type { VoiceSession } from '../src/voice/types.js';

const round = (x: number) => Math.round(x * 100) / 100;
const SECONDS = 8;

if (process.argv[2] === '--client')
  await runClients(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));

interface ClientReport {
  opened: number;
  p50: number;
  p99: number;
  frames: number;
  /** Frames received in the window over the frames real time asks for (1: the server keeps up). */
  deliveredRatio: number;
  cpuMs: number;
}

/** The server side: backend + HTTP signalling; every session gets a paced reply stream. */
async function startServer() {
  const backend = new WebRTCVoiceBackend({
    iceHostAddresses: ['127.0.0.1'],
    logger: silentLogger,
    maxConnections: 2000,
  });
  const http = createServer();
  // One user per client, as real callers are (the per-user cap applies as in production).
  mountWebRTC(http, backend, {
    authenticate: (_req, token) => ({ userId: token ?? 'load' }),
    logger: silentLogger,
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const pacers = new Map<string, OutboundPacer>();
  let inbound = 0;
  let ready = 0;
  backend.onAudioReceived(() => {
    inbound++;
  });
  // An endless reply per session: a 16 kHz tone, kept a second ahead of the pacer, which
  // sends it in 20 ms frames at real time (60 ms lead), as the voice channel does.
  const second = new Int16Array(16000).map((_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * 200 * i) / 16000)),
  );
  const refill = setInterval(() => {
    for (const pacer of pacers.values()) if (pacer.queuedMs < 1000) pacer.push(second);
  }, 250);
  backend.onSessionReady((session: VoiceSession) => {
    ready++;
    const pacer = new OutboundPacer({
      sampleRate: 16000,
      send: (frame) => {
        void backend.sendAudio(session, {
          data: new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength),
          sampleRate: 16000,
          channels: 1,
          format: 'pcm_s16le',
        });
      },
    });
    pacers.set(session.id, pacer);
    pacer.push(second);
  });
  backend.onClientDisconnected((s) => {
    pacers.get(s.id)?.interrupt();
    pacers.delete(s.id);
  });
  return {
    backend,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/rtc`,
    inbound: () => inbound,
    ready: () => ready,
    async close() {
      clearInterval(refill);
      for (const p of pacers.values()) p.interrupt();
      await backend.close();
      http.closeAllConnections();
      http.close();
    },
  };
}

/** N werift clients in a child process; resolves with their report. */
function runClientProcess(url: string, n: number, seconds: number): Promise<ClientReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, '--client', url, String(n), String(seconds)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 120) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`client process exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line) as ClientReport);
    });
  });
}

async function measure(n: number, profile = false) {
  const server = await startServer();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const inspector = profile ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
  }
  // Connection set-up is not the steady state: the client says when its streams begin.
  const cpuStart = { v: process.cpuUsage(), t: performance.now() };
  const report = runClientProcess(server.url, n, SECONDS);
  let measured: { cpuMs: number; wallMs: number } | undefined;
  let armed = false;
  const streaming = setInterval(() => {
    if (server.ready() < n || armed) return;
    armed = true;
    clearInterval(streaming);
    // Steady state: a second after every session is up (handshakes done), both ways streaming.
    setTimeout(() => {
      Object.assign(cpuStart, { v: process.cpuUsage(), t: performance.now() });
      loop.enable();
      if (inspector) void inspector.post('Profiler.start');
      setTimeout(
        () => {
          const used = process.cpuUsage(cpuStart.v);
          measured = { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - cpuStart.t };
          loop.disable();
        },
        (SECONDS - 3) * 1000,
      ).unref();
    }, 1000).unref();
  }, 50);
  const client = await report;
  clearInterval(streaming);
  let breakdown: Record<string, number> | undefined;
  if (inspector) {
    const { profile: p } = await inspector.post('Profiler.stop');
    breakdown = categorize(p);
    inspector.disconnect();
  }
  await server.close();
  const wall = measured?.wallMs ?? 1;
  return {
    sessions: n,
    opened: client.opened,
    receivedFrameLatenessMs: { p50: round(client.p50), p99: round(client.p99) },
    deliveredFrameRatio: round(client.deliveredRatio),
    serverEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
    serverCpuPercentOfOneCore: round(((measured?.cpuMs ?? 0) / wall) * 100),
    serverCpuMsPerSessionSecond: round(((measured?.cpuMs ?? 0) / wall) * (1000 / n)),
    clientCpuPercentOfOneCore: round((client.cpuMs / (SECONDS * 1000)) * 100),
    // Latency figures mean little on a busy machine: the 1-minute load average says how busy.
    loadAverage1m: round(loadavg()[0]!),
    ok: client.opened === n && client.p99 < 20 && client.deliveredRatio > 0.97,
    breakdown,
  };
}

/** werift's ESM build is one bundle; esbuild's `// ../<package>/src/<file>.ts` comments say which module a line is in. */
function weriftModules(): { line: number; module: string }[] {
  const bundle = readFileSync(fileURLToPath(import.meta.resolve('werift')), 'utf8').split('\n');
  const marks: { line: number; module: string }[] = [];
  bundle.forEach((text, i) => {
    const m = text.match(/^\/\/ (\.\.\/[\w-]+\/src\/\S+|src\/\S+)$/);
    if (m) marks.push({ line: i, module: m[1]! });
  });
  return marks;
}

/**
 * Where the server's CPU went (percent of busy samples of a V8 CPU profile). A sample in
 * Node's own JS (crypto wrappers, Buffer, timers) counts for the nearest caller that is
 * ours or a dependency's, so "srtp" includes the AES-GCM it asks Node for.
 */
function categorize(profile: {
  nodes: any[];
  samples?: number[];
  timeDeltas?: number[];
}): Record<string, number> {
  const marks = weriftModules();
  const moduleAt = (line: number) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = '';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]!.line <= line) {
        found = marks[mid]!.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const byId = new Map<number, any>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOfNode = (id: number): string => {
    const own = byId.get(id)?.callFrame;
    if (own?.functionName === '(idle)') return 'idle';
    if (own?.functionName === '(garbage collector)') return 'gc';
    // Native frames: the UDP syscall (reached through dgram's address lookup callback, so
    // no caller of ours is on the stack), and the profiler's own stop call.
    if (own?.url === '' && own.functionName === 'send') return 'udp send (syscall)';
    if (own?.url === '' && own.functionName === 'dispatch') return 'profiler';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      const layer = f ? layerOf(f.url, f.lineNumber, moduleAt) : undefined;
      if (layer) return layer;
    }
    return own?.functionName === '(program)' ? 'native (program)' : 'node event loop/timers';
  };
  const totals: Record<string, number> = {};
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const layer = layerOfNode(samples[i]!);
    if (layer === 'idle' || layer === 'profiler') continue;
    totals[layer] = (totals[layer] ?? 0) + (deltas[i] ?? 0);
    busy += deltas[i] ?? 0;
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(totals).sort((a, b) => b[1] - a[1])) out[k] = round((v / busy) * 100);
  if (process.env.ROOMKIT_BENCH_PROFILE_TOP) {
    const self = new Map<string, number>();
    for (let i = 0; i < samples.length; i++) {
      const f = byId.get(samples[i]!)?.callFrame;
      const key = `${layerOfNode(samples[i]!)} | ${f?.functionName || '(anon)'} ${String(f?.url).split('/').slice(-2).join('/')}:${f?.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0));
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.error(round((v / busy) * 100), k);
    const long = deltas
      .map((d, i) => [d, i] as const)
      .filter(([d]) => d > 20_000)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 10);
    for (const [d, i] of long) {
      const chain: string[] = [];
      for (
        let cur: number | undefined = samples[i];
        cur !== undefined && chain.length < 8;
        cur = parent.get(cur)
      ) {
        const f = byId.get(cur)?.callFrame;
        chain.push(`${f?.functionName || '(anon)'}@${String(f?.url).split('/').pop()}:${f?.lineNumber}`);
      }
      console.error('LONG', Math.round(d / 1000), 'ms', chain.join(' < '));
    }
  }
  return out;
}

function layerOf(url: string, line: number, moduleAt: (line: number) => string): string | undefined {
  if (url.includes('werift')) {
    const module = url.endsWith('index.mjs') ? moduleAt(line) : url;
    if (/srtp|srtcp/i.test(module)) return 'srtp';
    // The DTLS protocol itself; werift's RTCDtlsTransport (src/transport/dtls.ts) is also the
    // path every RTP packet is sent through, which is plumbing, not DTLS.
    if (/\.\.\/dtls\//.test(module)) return 'dtls';
    if (/sctp|dataChannel/.test(module)) return 'sctp/data channel';
    if (/\/ice\//.test(module)) return 'ice/stun';
    if (/\/rtp\/|rtcp/.test(module)) return 'rtp/rtcp';
    return 'werift peer plumbing';
  }
  if (url.includes('@evan/opus')) return 'opus';
  if (url.includes('/src/backends/')) return 'roomkit backend';
  if (url.includes('/src/voice/')) return 'roomkit pacer';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.includes('node_modules')) return 'other dependencies';
  return undefined;
}

/**
 * CPU per 20 ms frame of each layer a session pays for, in isolation (process CPU time, so
 * other load on the machine does not inflate it): what one session-second costs, bottom-up.
 */
async function frameCosts(): Promise<Record<string, unknown>> {
  const { loadOpus, OpusCodec } = await import('../src/voice/audio/opus.js');
  const werift = await import('werift');
  await loadOpus();
  const cpuMicros = (n: number, fn: () => void) => {
    for (let i = 0; i < Math.min(200, n); i++) fn(); // warm-up
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const used = process.cpuUsage(t);
    return (used.user + used.system) / n;
  };
  const codec = new OpusCodec({ sampleRate: 16000, channels: 1 });
  const pcm = new Int16Array(320).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 200 * i) / 16000)));
  const packet = codec.encode(pcm);
  const keys = {
    localMasterKey: Buffer.alloc(16, 1),
    localMasterSalt: Buffer.alloc(12, 2),
    remoteMasterKey: Buffer.alloc(16, 1),
    remoteMasterSalt: Buffer.alloc(12, 2),
  };
  const srtp = new werift.SrtpSession({ keys, profile: 7 /* AEAD_AES_128_GCM, what Chromium picks */ });
  let seq = 0;
  const header = () =>
    new werift.RtpHeader({
      sequenceNumber: seq++ & 0xffff,
      timestamp: seq * 960,
      payloadType: 111,
      ssrc: 1234,
    });
  const protectedPacket = srtp.encrypt(Buffer.from(packet), header());
  const rtp = new werift.RtpPacket(header(), Buffer.from(packet));
  const udp = await udpRoundCost(Buffer.alloc(packet.byteLength + 12 + 16), 20_000);
  const costs = {
    opusEncode16k: cpuMicros(5000, () => codec.encode(pcm)),
    opusDecode16k: cpuMicros(5000, () => codec.decode(packet)),
    srtpEncrypt: cpuMicros(20_000, () => srtp.encrypt(Buffer.from(packet), header())),
    srtpDecrypt: cpuMicros(20_000, () => srtp.decrypt(protectedPacket)),
    rtpSerializeParse: cpuMicros(20_000, () => werift.RtpPacket.deSerialize(rtp.serialize())),
    udpSendAndReceiveLoopback: udp,
  };
  // A session moves one packet each way every 20 ms.
  const perFrame =
    costs.opusEncode16k +
    costs.opusDecode16k +
    costs.srtpEncrypt +
    costs.srtpDecrypt +
    2 * costs.rtpSerializeParse +
    2 * costs.udpSendAndReceiveLoopback;
  return {
    bench: 'webrtc_frame_costs',
    microsPerFrame: Object.fromEntries(Object.entries(costs).map(([k, v]) => [k, round(v)])),
    bottomUpCpuMsPerSessionSecond: round((perFrame * 50) / 1000),
  };
}

/** CPU of sending one UDP packet over loopback and receiving it (both ends in this process). */
async function udpRoundCost(payload: Buffer, n: number): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const rx = createSocket('udp4');
  const tx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  rx.on('message', () => {
    if (++got === n) done();
  });
  const t = process.cpuUsage();
  // In bursts small enough for the socket buffer, so nothing is dropped.
  for (let sent = 0; sent < n; ) {
    const burst = Math.min(100, n - sent);
    for (let i = 0; i < burst; i++) tx.send(payload, port, '127.0.0.1');
    sent += burst;
    await new Promise((r) => setImmediate(r));
  }
  await Promise.race([finished, new Promise((r) => setTimeout(r, 10_000))]);
  const used = process.cpuUsage(t);
  rx.close();
  tx.close();
  return (used.user + used.system) / Math.max(1, got);
}

export async function benchWebRTC(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [await frameCosts()];
  let best: Awaited<ReturnType<typeof measure>> | undefined;
  // ROOMKIT_BENCH_WEBRTC_SESSIONS=10,20 runs just those loads.
  const loads = process.env.ROOMKIT_BENCH_WEBRTC_SESSIONS?.split(',').map(Number) ?? [
    5, 10, 20, 30, 40, 50, 60, 80, 100,
  ];
  for (const n of loads) {
    const result = await measure(n);
    out.push({ bench: 'webrtc_concurrent_sessions', ...result, breakdown: undefined });
    if (!result.ok) break;
    best = result;
  }
  out.push({
    bench: 'webrtc_concurrent_sessions_max',
    sessionsWithP99Under20ms: best?.sessions ?? 0,
    serverCpuMsPerSessionSecond: best?.serverCpuMsPerSessionSecond,
  });
  // Where the time goes, at the largest load that held.
  const profiled = await measure(Math.max(5, best?.sessions ?? 5), true);
  out.push({
    bench: 'webrtc_server_profile',
    sessions: profiled.sessions,
    selfTimePercent: profiled.breakdown,
  });
  return out;
}

// ---- client mode (child process) --------------------------------------------------------

async function runClients(url: string, n: number, seconds: number): Promise<void> {
  const { WeriftClient } = await import('../test/backends/webrtc/werift-client.js');
  const clients: InstanceType<typeof WeriftClient>[] = [];
  // Connect a few at a time: set-up (DTLS handshakes) is not what is measured.
  for (let i = 0; i < n; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, n - i) }, (_, j) =>
        WeriftClient.connect({
          url,
          token: `caller-${i + j}`,
          roomId: `load-${i + j}`,
          sampleRate: 48000,
        }).then(async (c) => {
          await c.waitConnected(20_000);
          return c;
        }),
      ),
    );
    clients.push(...batch);
  }
  const speech = new Int16Array(48000).map((_, i) =>
    Math.round(5000 * Math.sin((2 * Math.PI * 180 * i) / 48000)),
  );
  const startAt = performance.now();
  for (const c of clients) void c.streamPcm(speech, true);
  const cpuStreaming = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpuStreaming);
  const lateness: number[] = [];
  for (const c of clients) {
    let due = 0;
    for (const f of c.frames) {
      if (f.at < startAt + 1000) {
        due = Math.max(due, f.at) + (f.samples / 48000) * 1000;
        continue;
      }
      // Late by how much a frame arrives after the previous ones would have finished playing
      // (the reply never pauses, so every gap is an audible one).
      if (due > 0) lateness.push(Math.max(0, f.at - due));
      due = Math.max(due, f.at) + (f.samples / 48000) * 1000;
    }
  }
  lateness.sort((a, b) => a - b);
  const pct = (q: number) =>
    lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? Number.NaN;
  const report: ClientReport = {
    opened: clients.filter((c) => c.state === 'connected').length,
    p50: pct(0.5),
    p99: pct(0.99),
    frames: lateness.length,
    deliveredRatio: lateness.length / (clients.length * 50 * (seconds - 1)),
    cpuMs: (used.user + used.system) / 1000,
  };
  for (const c of clients) await c.close();
  console.log(JSON.stringify(report));
  process.exit(0);
}
