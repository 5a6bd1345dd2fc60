/**
 * Load generator for the voice benches (a separate process, so clients do not share the
 * server's event loop): N WebSocket voice clients, each sending 20 ms of 16 kHz PCM every
 * 20 ms in a 1.2 s voiced / 0.8 s near-silent cycle, and timing the audio that comes back.
 *
 *   voice-load-client.ts <url> <sessions> <seconds> <lockstep|staggered> <replyBytes>
 *
 * All sessions open first (a bounded number of handshakes at a time); the run starts once
 * every one is ready. In lockstep every caller's cycle starts on the same tick (every reply
 * starts in the same 20 ms); staggered spreads the cycles over the 2 s in 20 ms steps.
 * A timer that fires late sends the frames it owes, as a microphone's buffer would.
 * Every caller's frames leave in the same instant (one timer for all), unless
 * `ROOMKIT_BENCH_VOICE_FRAMES=spread`: caller i then sends i % 20 ms into each 20 ms, as
 * callers with clocks of their own do, so the server reads a twentieth of them at a time.
 *
 * Prints one JSON line: lateness of received frames (p50/p99), and the reply accounting that
 * makes the bench fail loudly. Each utterance that ended in time is owed a reply; a reply
 * answers the latest utterance that ended before it started. One that ends with fewer bytes
 * than `replyBytes`, or that never came at all, counts its missing frames as lost; one that
 * started more than REPLY_DEADLINE_MS after its utterance ended is late (the caller has
 * given up on it: a capacity limit, reported apart from a loss). One the caller talked over
 * before its audio began (its caption came, then `clear_audio`) was interrupted, not lost.
 * Before it, `{"phase":"running"}` when every session is open and the calls start, and
 * `{"phase":"grace"}` when they end: the callers then stay quiet for GRACE_MS so that late
 * replies can still arrive and are told from lost ones. After the report the sessions stay
 * open until a line on stdin (or 10 s), so the harness reads the server's figures over the
 * calls alone, not the handshakes before them, the quiet after them or the hang-ups.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { accountReplies, CYCLE_MS, FRAME_MS, utteranceEnds, VOICED_MS } from './voice-replies.js';

const [url, countArg, secondsArg, modeArg, replyBytesArg] = process.argv.slice(2);
const count = Number(countArg);
const seconds = Number(secondsArg);
const mode = modeArg === 'staggered' ? 'staggered' : 'lockstep';
const replyBytes = Number(replyBytesArg);
const FRAME = 320;
const FRAME_BYTES = FRAME * 2;
/** Quiet after the calls, for late replies to arrive (so that late is told from never). */
const GRACE_MS = 3000;
const OPEN_AT_ONCE = 64;
const OPEN_TIMEOUT_MS = 60_000;
const framesMode = process.env.ROOMKIT_BENCH_VOICE_FRAMES === 'spread' ? 'spread' : 'aligned';

const voiced = new Int16Array(FRAME).map((_, i) =>
  Math.round(5000 * Math.sin((2 * Math.PI * 220 * i) / 16000)),
);
const quiet = new Int16Array(FRAME).map((_, i) => Math.round(30 * Math.sin((2 * Math.PI * 220 * i) / 16000)));

interface Client {
  index: number;
  ws: WebSocket;
  ready: boolean;
  /** ms into the cycle at the run's start. */
  offsetMs: number;
  /** ms into each 20 ms at which this caller's frame leaves (0 unless frames are spread). */
  framePhaseMs: number;
  /** When the current burst of received audio should have played up to (ms). */
  due: number;
  bytes: number;
  replyBytes: number;
  inReply: boolean;
  completed: number;
  short: number;
  interrupted: number;
  /** When each reply started (`speaking: true`), ms from the run's start. */
  replyStarts: number[];
  /** The agent's caption came and its audio has not started yet. */
  announced: boolean;
  /** Replies the caller talked over before any of their audio (captioned, then cleared), ms from the start. */
  cutBeforeAudio: number[];
  errors: string[];
}

const lateness: number[] = [];
const clients: Client[] = [];
let opened = 0;
let failed = 0;
const failures = new Map<string, number>();
let running = false;

function fail(c: Client, why: string) {
  if (c.errors.length === 0) {
    failed++;
    failures.set(why, (failures.get(why) ?? 0) + 1);
  }
  c.errors.push(why);
}

function open(index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}?user=load${index}`);
    const offsetMs = mode === 'staggered' ? (index * FRAME_MS) % CYCLE_MS : 0;
    const c: Client = {
      index,
      ws,
      ready: false,
      offsetMs,
      framePhaseMs: framesMode === 'spread' ? index % FRAME_MS : 0,
      due: 0,
      bytes: 0,
      replyBytes: 0,
      inReply: false,
      completed: 0,
      short: 0,
      interrupted: 0,
      replyStarts: [],
      announced: false,
      cutBeforeAudio: [],
      errors: [],
    };
    clients.push(c);
    ws.binaryType = 'nodebuffer';
    ws.on('open', () =>
      ws.send(
        JSON.stringify({ type: 'start', sampleRate: 16000, roomId: `load-${index}`, framing: 'binary' }),
      ),
    );
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return onControl(c, JSON.parse(data.toString()), resolve);
      const now = performance.now();
      const size = (data as Buffer).byteLength;
      const ms = (size / 2 / 16000) * 1000;
      // A frame is late by how much it arrives after the previous ones would have finished
      // playing (minus the pacer's lead): that is an audible gap.
      if (c.due > 0 && now - c.due < 500) lateness.push(Math.max(0, now - c.due));
      c.due = Math.max(c.due, now) + ms;
      c.bytes += size;
      if (c.inReply) c.replyBytes += size;
    });
    ws.on('error', (error) => {
      fail(c, `socket error: ${error.message}`);
      resolve();
    });
    ws.on('close', () => {
      if (!running && !c.ready) fail(c, 'closed before ready');
      else if (running) fail(c, 'closed by the server during the run');
      resolve();
    });
  });
}

function onControl(
  c: Client,
  msg: { type: string; speaking?: boolean; code?: string; role?: string },
  ready: () => void,
) {
  switch (msg.type) {
    case 'ready':
      c.ready = true;
      opened++;
      ready();
      return;
    case 'error':
      fail(c, `error frame: ${msg.code}`);
      ready();
      return;
    case 'transcription':
      // The agent's caption goes out as it starts saying the reply, before the audio.
      if (msg.role === 'assistant') c.announced = true;
      return;
    case 'speaking':
      if (msg.speaking) {
        c.announced = false;
        c.inReply = true;
        c.replyBytes = 0;
        if (running) c.replyStarts.push(performance.now() - start);
      } else if (c.inReply) {
        c.inReply = false;
        c.completed++;
        if (c.replyBytes < replyBytes) c.short += Math.ceil((replyBytes - c.replyBytes) / FRAME_BYTES);
      }
      return;
    case 'clear_audio':
      // Barge-in: the caller's next utterance started over the reply; not a loss. Also when
      // the reply was about to start (captioned, no audio yet): the caller spoke first.
      if (c.inReply) c.interrupted++;
      else if (c.announced && running) c.cutBeforeAudio.push(performance.now() - start);
      c.inReply = false;
      c.announced = false;
      return;
  }
}

async function openAll(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await open(next++);
  };
  const all = Promise.all(Array.from({ length: Math.min(OPEN_AT_ONCE, count) }, worker));
  const timeout = new Promise<void>((r) => setTimeout(r, OPEN_TIMEOUT_MS).unref());
  await Promise.race([all, timeout]);
}

function pick(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

await openAll();
console.log(JSON.stringify({ phase: 'running' }));
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
running = true;
const start = performance.now();
/** Callers by the ms of each 20 ms at which they send, and the frames each group has sent. */
const byPhase: Client[][] = Array.from({ length: FRAME_MS }, () => []);
for (const c of clients) byPhase[c.framePhaseMs]!.push(c);
const sentTicks = new Array<number>(FRAME_MS).fill(0);
const runMs = seconds * 1000;
/** When the calls ended and the quiet began (ms from the start), and the client's loop delay over the calls. */
let graceFrom = -1;
let clientLoopDelayP99Ms = 0;
const timer = setInterval(
  () => {
    const now = performance.now();
    for (let phase = 0; phase < FRAME_MS; phase++) {
      const group = byPhase[phase]!;
      if (group.length === 0 || now - start < phase) continue;
      const owed = Math.floor((now - start - phase) / FRAME_MS) + 1;
      for (; sentTicks[phase]! < owed; sentTicks[phase]!++) {
        const at = sentTicks[phase]! * FRAME_MS;
        for (const c of group) {
          if (!c.ready) continue;
          const inCycle = (at + c.offsetMs) % CYCLE_MS;
          c.ws.send(at < runMs && inCycle < VOICED_MS ? voiced : quiet);
        }
      }
    }
    if (now - start < runMs) return;
    if (graceFrom < 0) {
      graceFrom = now - start;
      clientLoopDelayP99Ms = loop.percentile(99) / 1e6;
      loop.disable();
      console.log(JSON.stringify({ phase: 'grace' }));
    }
    if (now - start < graceFrom + GRACE_MS) return;
    clearInterval(timer);
    running = false;
    report(graceFrom);
  },
  framesMode === 'spread' ? 1 : FRAME_MS,
);

function report(runEndMs: number): void {
  lateness.sort((a, b) => a - b);
  const replyStartMs: number[] = [];
  let expectedReplies = 0;
  let missingReplies = 0;
  let lateReplies = 0;
  let interruptedBeforeAudio = 0;
  let framesLost = 0;
  let completed = 0;
  let interrupted = 0;
  const framesPerReply = Math.ceil(replyBytes / FRAME_BYTES);
  for (const c of clients) {
    if (!c.ready) continue;
    const owed = accountReplies({
      ends: utteranceEnds(c.offsetMs, runEndMs).map((t) => t + c.framePhaseMs),
      replyStarts: c.replyStarts,
      cutBeforeAudio: c.cutBeforeAudio,
      runEndMs,
    });
    expectedReplies += owed.owed;
    missingReplies += owed.missing;
    lateReplies += owed.late;
    interruptedBeforeAudio += owed.interruptedBeforeAudio;
    replyStartMs.push(...owed.waits);
    framesLost += owed.missing * framesPerReply + c.short;
    completed += c.completed;
    interrupted += c.interrupted;
  }
  replyStartMs.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      mode,
      framesSent: framesMode,
      sessions: count,
      opened,
      failed,
      failures: Object.fromEntries(failures),
      frames: lateness.length,
      p50: pick(lateness, 0.5),
      p99: pick(lateness, 0.99),
      max: lateness.at(-1) ?? 0,
      receivedBytes: clients.reduce((n, c) => n + c.bytes, 0),
      expectedReplies,
      repliesCompleted: completed,
      repliesInterrupted: interrupted,
      repliesInterruptedBeforeAudio: interruptedBeforeAudio,
      missingReplies,
      lateReplies,
      replyStartMs: {
        p50: pick(replyStartMs, 0.5),
        p99: pick(replyStartMs, 0.99),
        max: replyStartMs.at(-1) ?? 0,
      },
      framesLost,
      clientLoopDelayP99Ms,
    }),
  );
  const hangUp = () => {
    for (const c of clients) c.ws.terminate();
    process.exit(0);
  };
  process.stdin.once('data', hangUp);
  setTimeout(hangUp, 10_000);
}
