/**
 * Concurrent full-duplex voice sessions against one server process: the harness behind
 * `npm run bench -- voice`. It starts the server (a module of bench/ run as a child), then
 * for each session count runs the load client (another process) and asks the server for its
 * CPU, event-loop delay and memory over the calls (from the moment every session is open to
 * the client's report, before it hangs up). A count passes when every session opened,
 * no frame was lost, and both the clients' p99 frame lateness and the server's p99 loop delay
 * are under 20 ms. Counts go up until one fails, then the gap is narrowed once, or, when the
 * first count fails, they step down (sweep-plan.ts); several servers swept together take turns
 * count by count (`sweepTogether`).
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { quantile } from './quantile.js';
import { PERF_DIR, PerfRecorder } from './perf-recorder.js';
import { SweepPlan } from './sweep-plan.js';
import type { ServerStats } from './voice-server-stats.js';
import { REPLY_DEADLINE_MS, replyBytes } from './voice-traffic.js';

/** The pass rule: p99 received-frame lateness and server loop delay both under this (ms). */
const LIMIT_MS = 20;
const round = (x: number) => Math.round(x * 1000) / 1000;

export interface SweepOptions {
  /** Names the server in the JSON lines, e.g. 'roomkit' or 'bare-ws'. */
  server: string;
  /** The server's module in bench/ and its arguments. */
  module: string;
  args?: string[];
  mode: 'lockstep' | 'staggered';
  counts: number[];
  seconds?: number;
  /** Runs per count; a count passes when most of them pass (default 1). */
  runs?: number;
  /**
   * Sessions of one run before the sweep, which counts for nothing (reported as
   * `voice_concurrent_sessions_warmup`); 0 for none. Why: see `warmUpSessions`.
   */
  warmUp?: number;
}

/**
 * The warm-up run's size: `ROOMKIT_BENCH_VOICE_WARMUP` (default 200; 0 turns it off).
 * A server measured from its first calls is measured while V8 is still compiling it: in the
 * first 8 s of calls to a fresh process of ours, TurboFan's thread held 6-9% of the CPU,
 * and the same 500 staggered callers failed a fresh server (loop p99 20.9 ms, CPU 0.75) and
 * passed the next two runs on the same process (11.7 and 12.0 ms, CPU 0.62 and 0.57). A
 * server in service has long been compiled, so every server gets the same unmeasured run
 * first, and the sweep measures capacity, not start-up.
 */
export function warmUpSessions(): number {
  const n = Number(process.env.ROOMKIT_BENCH_VOICE_WARMUP ?? 200);
  if (!Number.isInteger(n) || n < 0) throw new Error(`ROOMKIT_BENCH_VOICE_WARMUP must be a count, got ${n}`);
  return n;
}

export interface SweepResult {
  lines: Record<string, unknown>[];
  /** The most sessions that passed. */
  max: number;
  /** The first count that failed, if any did. */
  failedAt?: number;
  /** Steps that lost frames or sessions while lateness was fine: a bug, not a limit. */
  broken: string[];
}

interface ClientReport {
  opened: number;
  failed: number;
  failures: Record<string, number>;
  frames: number;
  p50: number;
  p99: number;
  max: number;
  expectedReplies: number;
  repliesCompleted: number;
  repliesInterrupted: number;
  repliesInterruptedBeforeAudio: number;
  missingReplies: number;
  lateReplies: number;
  replyStartMs: { p50: number; p99: number; max: number };
  framesLost: number;
  clientLoopDelayP99Ms: number;
  framesSent: 'aligned' | 'spread';
}

/**
 * Runs the load client: `onRunning` when its calls start, `onReport` with its figures while
 * the sessions are still up; then it hangs up. Bounded: a client that stalls is killed.
 */
async function runClient<T>(
  args: string[],
  onRunning: () => Promise<void>,
  onReport: () => Promise<T>,
): Promise<{ report: Record<string, unknown>; stats: T }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('voice-load-client.ts', import.meta.url).pathname, ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const limit = setTimeout(() => child.kill('SIGKILL'), (Number(args[2]) + 120) * 1000);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    let result: { report: Record<string, unknown>; stats: T } | undefined;
    // The server's figures are read as the calls end, before the callers' quiet (`grace`).
    let stats: T | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (msg.phase === 'running') await onRunning();
      else if (msg.phase === 'grace') stats = await onReport();
      else {
        result = { report: msg, stats: stats ?? (await onReport()) };
        child.stdin.end('bye\n');
      }
    }
    const code = await exited;
    if (!result) throw new Error(`load client exited (${code}) without a report`);
    return result;
  } finally {
    clearTimeout(limit);
    child.kill();
  }
}

/**
 * How fast this machine's cores are right now: the best of three runs of a fixed piece of
 * arithmetic, in ms. The machine's speed drifts: the same server at the same count used 0.44
 * of a core in one sweep and 1.0 twenty minutes later. Steps compare fairly only when they
 * read about the same.
 */
export function calibrate(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    let x = 0;
    for (let i = 1; i < 2e6; i++) x += Math.sqrt(i) % 7;
    best = Math.min(best, performance.now() - started + (x < 0 ? 1 : 0));
  }
  return round(best);
}

/**
 * The kernel's side of the machine right now: the median round trip, in microseconds, of a
 * 640-byte message over a loopback TCP connection within this process. `calibrate` times
 * JavaScript only; on a day when the bare server did half its usual count, it read the same,
 * and the voice servers spend most of their time in socket calls and waiting to be scheduled.
 */
export async function calibrateLoopback(rounds = 400): Promise<number> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => {});
  });
  const signal = AbortSignal.timeout(10_000);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    client.setNoDelay(true);
    await once(client, 'connect', { signal });
    const payload = Buffer.alloc(640);
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      client.write(payload);
      for (let got = 0; got < payload.length; )
        got += ((await once(client, 'data', { signal }))[0] as Buffer).length;
      times.push(performance.now() - started);
    }
    return round(quantile(times, 0.5) * 1000);
  } finally {
    client.destroy();
    server.close();
  }
}

/** A random cycle over 32 MB (more than any cache here), made once: `calibrateMemory` walks it. */
let memoryCycle: Int32Array | undefined;

/**
 * The memory side of the machine right now: nanoseconds per step of a walk through a random
 * cycle over 32 MB, each step's address read from the step before (so no prefetch helps): what
 * a cache miss costs. A voice server touches a few hundred KB per call (pipeline state, buffers,
 * sockets), far more than the bare server's 40 KB; on a day when ours carried a third fewer
 * calls for the same bare-server figure, `calibrate` and `calibrateLoopback` read the same.
 */
export function calibrateMemory(steps = 1_000_000): number {
  if (!memoryCycle) {
    const n = (32 * 1024 * 1024) / 4;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // A random order (Fisher-Yates); each slot then points at the next in it: one cycle.
    let seed = 12345;
    for (let i = n - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    memoryCycle = new Int32Array(n);
    for (let i = 0; i < n; i++) memoryCycle[order[i]!] = order[(i + 1) % n]!;
  }
  const cycle = memoryCycle;
  let best = Number.POSITIVE_INFINITY;
  let at = 0;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    for (let i = 0; i < steps; i++) at = cycle[at]!;
    best = Math.min(best, performance.now() - started);
  }
  return round((best * 1e6) / steps + (at < 0 ? 1 : 0));
}

/**
 * Over the limit (frames late, the loop slow, turns queued past the caller's patience): a step
 * that failed so is capacity. Anything else that failed is a bug.
 */
export function overLimit(framesP99Ms: number, loopP99Ms: number, lateReplies: number): boolean {
  return framesP99Ms >= LIMIT_MS || loopP99Ms >= LIMIT_MS || lateReplies > 0;
}

/** One server process and the runs of its sweep; its counts are chosen by a SweepPlan. */
interface Sweeper {
  /** Its steps' lines, and the steps that lost audio or sessions with nothing late (bugs). */
  lines: SweepResult['lines'];
  broken: SweepResult['broken'];
  /** The unmeasured run first (`warmUp` sessions), when asked for. */
  warmUp(): Promise<void>;
  /** Whether `n` sessions pass, by the majority of up to `runs` runs. */
  passes(n: number): Promise<boolean>;
  close(): Promise<void>;
}

async function startSweeper(opts: SweepOptions): Promise<Sweeper> {
  // ROOMKIT_BENCH_SERVER_ARGS='--cpu-prof --cpu-prof-dir=prof' profiles the server.
  const extra = process.env.ROOMKIT_BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [];
  const perf = PERF_DIR ? new PerfRecorder(PERF_DIR, `${opts.server}-${opts.mode}`) : undefined;
  const perfServer = perf?.serverOptions();
  const server = fork(new URL(opts.module, import.meta.url).pathname, opts.args ?? [], {
    execArgv: [...(perfServer?.execArgv ?? ['--import', 'tsx']), ...extra],
    cwd: perfServer?.cwd,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: string) =>
    new Promise<any>((resolve, reject) => {
      const onMessage = (msg: { type: string }) => {
        if (msg.type !== type) return;
        server.off('message', onMessage);
        server.off('exit', onExit);
        resolve(msg);
      };
      const onExit = (code: number | null) => reject(new Error(`${opts.module} exited (${code})`));
      server.on('message', onMessage);
      server.once('exit', onExit);
    });
  // A clean exit lets --cpu-prof write its profile; a server that hangs is killed.
  const close = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.send({ type: 'exit' });
    const exited = new Promise((r) => server.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    server.kill();
  };
  try {
    const { url } = await next('listening');
    const result: Pick<SweepResult, 'lines' | 'broken'> = { lines: [], broken: [] };
    const step = async (n: number, warmUp = false): Promise<boolean> => {
      const askStats = async () => {
        server.send({ type: 'stats' });
        return ((await next('stats')) as { stats: ServerStats }).stats;
      };
      const reset = async () => {
        server.send({ type: 'reset' });
        await next('reset-done');
      };
      await reset();
      const load = os.loadavg()[0];
      const calibration = calibrate();
      const loopback = await calibrateLoopback();
      const memory = calibrateMemory();
      // The server's figures cover the calls: from the client's "running" (every session
      // open) to its report, while the sessions are still up. Opening is measured apart.
      let opening: ServerStats | undefined;
      const { report, stats } = await runClient(
        [url, String(n), String(opts.seconds ?? 8), opts.mode, String(replyBytes())],
        async () => {
          opening = await askStats();
          await reset();
          if (!warmUp) perf?.start(server.pid!, n);
        },
        async () => {
          const stats = await askStats();
          await perf?.stop();
          return stats;
        },
      );
      const client = report as unknown as ClientReport;
      const reasons: string[] = [];
      if (client.opened < n) reasons.push(`${n - client.opened} sessions did not open`);
      if (client.failed > 0)
        reasons.push(`${client.failed} sessions failed: ${JSON.stringify(client.failures)}`);
      if (client.framesLost > 0) reasons.push(`${client.framesLost} frames lost`);
      if (client.lateReplies > 0)
        reasons.push(
          `${client.lateReplies} replies started over ${REPLY_DEADLINE_MS} ms after the caller stopped`,
        );
      const lateness = overLimit(client.p99, stats.loopDelayP99Ms, client.lateReplies);
      if (client.p99 >= LIMIT_MS) reasons.push(`p99 lateness ${round(client.p99)} ms`);
      if (stats.loopDelayP99Ms >= LIMIT_MS)
        reasons.push(`server loop delay p99 ${round(stats.loopDelayP99Ms)} ms`);
      const ok = reasons.length === 0;
      if (!ok && !lateness)
        result.broken.push(`${warmUp ? 'warm-up, ' : ''}${n} sessions: ${reasons.join('; ')}`);
      result.lines.push({
        bench: warmUp ? 'voice_concurrent_sessions_warmup' : 'voice_concurrent_sessions',
        server: opts.server,
        mode: opts.mode,
        // How the callers' frames leave each 20 ms: all at once, or spread (ROOMKIT_BENCH_VOICE_FRAMES).
        framesSent: client.framesSent,
        sessions: n,
        opened: client.opened,
        receivedFrameLatenessMs: { p50: round(client.p50), p99: round(client.p99), max: round(client.max) },
        serverEventLoopDelayP99Ms: round(stats.loopDelayP99Ms),
        // While the sessions opened (handshakes, rooms made): not part of the pass rule.
        ...(opening ? { serverOpeningLoopDelayP99Ms: round(opening.loopDelayP99Ms) } : {}),
        serverCpu: round(stats.cpu),
        ...(stats.mainThread
          ? {
              serverMainThread: {
                run: round(stats.mainThread.run),
                waitForCore: round(stats.mainThread.waitForCore),
              },
            }
          : {}),
        ...(stats.gc ? { serverGc: stats.gc } : {}),
        ...(stats.turnMs ? { serverTurnMs: stats.turnMs } : {}),
        ...(stats.processes
          ? {
              serverProcesses: stats.processes.map((p) => ({
                ...p,
                cpu: round(p.cpu),
                loopDelayP99Ms: round(p.loopDelayP99Ms),
              })),
            }
          : {}),
        rssPerSessionKiB: Math.round((stats.maxRss - stats.idleRss) / 1024 / n),
        replies: {
          expected: client.expectedReplies,
          completed: client.repliesCompleted,
          interrupted: client.repliesInterrupted,
          // Cut by the caller's next utterance before any of their audio went out.
          interruptedBeforeAudio: client.repliesInterruptedBeforeAudio,
          missing: client.missingReplies,
          late: client.lateReplies,
        },
        // From the end of the caller's voice to the reply's start (includes the VAD's 300 ms).
        replyStartMs: {
          p50: round(client.replyStartMs.p50),
          p99: round(client.replyStartMs.p99),
          max: round(client.replyStartMs.max),
        },
        framesReceived: client.frames,
        framesLost: client.framesLost,
        clientLoopDelayP99Ms: round(client.clientLoopDelayP99Ms),
        loadAverage1m: Math.round(load * 100) / 100,
        machineCalibrationMs: calibration,
        machineLoopbackRoundTripUs: loopback,
        machineMemoryStepNs: memory,
        ok,
        ...(ok ? {} : { failedBecause: reasons.join('; ') }),
      });
      // Let the sessions of this step end before the next one opens.
      await new Promise((r) => setTimeout(r, 1500));
      return ok;
    };
    // A count passes when most of its runs do (the machine's speed drifts between runs: one
    // run decides a count near the limit by luck); runs stop once the majority is known.
    const runs = opts.runs ?? 1;
    const passes = async (n: number): Promise<boolean> => {
      let passed = 0;
      let failed = 0;
      while (passed * 2 <= runs && failed * 2 <= runs) {
        if (await step(n)) passed++;
        else failed++;
      }
      return passed * 2 > runs;
    };
    return {
      ...result,
      // Its pass or fail decides nothing; lost frames or sessions in it are still reported as broken.
      warmUp: async () => {
        if (opts.warmUp) await step(opts.warmUp, true);
      },
      passes,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function sweep(opts: SweepOptions): Promise<SweepResult> {
  return (await sweepTogether([opts]))[0]!;
}

/**
 * Several servers' sweeps, taking turns count by count (each runs its runs of a count, then
 * the next server its own), each going up its counts until one fails, then narrowing once.
 * A sweep lasts up to half an hour and this machine's speed drifts over that time: swept one
 * after the other, our server and the bare one were measured in different hours, and their
 * ratio moved with the hour as much as with the code. Taking turns, each count of both is
 * measured within a minute or two of the other's. The servers not running wait idle.
 * `onCount` is told each count a server is about to run.
 */
export async function sweepTogether(
  all: SweepOptions[],
  onCount?: (server: string, n: number) => void,
): Promise<SweepResult[]> {
  const sweepers: Sweeper[] = [];
  try {
    for (const opts of all) sweepers.push(await startSweeper(opts));
    for (const s of sweepers) await s.warmUp();
    const plans = all.map((opts) => new SweepPlan(opts.counts));
    for (let ran = true; ran; ) {
      ran = false;
      for (let i = 0; i < sweepers.length; i++) {
        const n = plans[i]!.next();
        if (n === undefined) continue;
        ran = true;
        onCount?.(all[i]!.server, n);
        plans[i]!.record(n, await sweepers[i]!.passes(n));
      }
    }
    return sweepers.map(({ lines, broken }, i) => ({
      lines,
      broken,
      max: plans[i]!.max,
      failedAt: plans[i]!.failedAt,
    }));
  } finally {
    await Promise.all(sweepers.map((s) => s.close()));
  }
}
