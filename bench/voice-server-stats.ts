/**
 * The server side of the voice benches' measurements, for a server running in a child
 * process: answers the harness's IPC messages `reset` (a step starts) and `stats` (it ended)
 * with the process's CPU share, event-loop delay and memory over the step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { gcKind, mainThreadSchedule } from './main-thread.js';
import { stallWatch } from './stall-watch.js';
import { windowProfiler } from './window-profiler.js';
import { type ScavengeFigures, scavengeRecorder } from './scavenge-figures.js';

export interface ServerStats {
  /** CPU time over wall time since `reset` (1 = one core busy). */
  cpu: number;
  /** p99 of the event loop's delay since `reset`, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Resident memory: before any session, and the most seen since `reset`. */
  idleRss: number;
  maxRss: number;
  heapUsed: number;
  /**
   * A turn's timeline under load, over the step (servers that report it): from the end of the
   * caller's speech to each mark (final transcript, first AI token, first TTS audio, first
   * frame sent), p50 / p99 in ms.
   */
  turnMs?: Record<string, { turns: number; p50: number; p99: number }>;
  /**
   * Garbage collection in this process since `reset`: how many of each kind and their time
   * in ms (main thread pauses; a mark-compact's incremental steps count apart, as
   * `incremental`). Our server promotes a turn's state where the bare one promotes nothing:
   * mark-compacts are where the two differ most.
   */
  gc?: GcFigures;
  /** A server of several processes: each one's CPU share and loop delay p99 (ms), main first. */
  processes?: { role: string; cpu: number; loopDelayP99Ms: number }[];
  /**
   * The main thread's share of wall time running, and waiting for a core while runnable
   * (Linux's schedstat; absent elsewhere). The load client shares the machine's two cores:
   * a loop delay made of waits for a core is the machine's, not the server's work.
   */
  mainThread?: { run: number; waitForCore: number };
}

export interface GcFigures {
  scavenges: number;
  markCompacts: number;
  scavengeMs: number;
  markCompactMs: number;
  incrementalMs: number;
  /** The longest single pause, ms. */
  maxPauseMs: number;
  /**
   * Median KB a scavenge promoted and left young (absent when none ran): what scavenges cost.
   * Ours promotes a turn's state and the stored events; several times that means a dead old
   * object is holding young ones (see docs/decisions.md, ws's fragments arrays).
   */
  perScavenge?: ScavengeFigures;
}

/** Counts GC pauses by kind from `reset()` on (a PerformanceObserver of 'gc' entries). */
function gcCounter() {
  let figures: GcFigures;
  const scavenges = scavengeRecorder();
  const reset = () => {
    scavenges.restart();
    figures = {
      scavenges: 0,
      markCompacts: 0,
      scavengeMs: 0,
      markCompactMs: 0,
      incrementalMs: 0,
      maxPauseMs: 0,
    };
  };
  reset();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = gcKind(entry);
      const ms = entry.duration;
      figures.maxPauseMs = Math.max(figures.maxPauseMs, ms);
      if (kind === 'scavenge') {
        figures.scavenges++;
        figures.scavengeMs += ms;
      } else if (kind === 'markCompact') {
        figures.markCompacts++;
        figures.markCompactMs += ms;
      } else if (kind === 'incremental') figures.incrementalMs += ms;
    }
  }).observe({ entryTypes: ['gc'] });
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    reset,
    read: (): GcFigures => ({
      ...figures,
      scavengeMs: round(figures.scavengeMs),
      markCompactMs: round(figures.markCompactMs),
      incrementalMs: round(figures.incrementalMs),
      maxPauseMs: round(figures.maxPauseMs),
      perScavenge: scavenges.read(),
    }),
  };
}

/** Collects turn latencies by name between `reset` and `stats`: pass `hooks` to `serveStats`. */
export function turnLatencies() {
  let samples = new Map<string, number[]>();
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    add: (name: string, ms: number) => {
      const list = samples.get(name) ?? [];
      list.push(ms);
      samples.set(name, list);
    },
    hooks: {
      reset: async () => {
        samples = new Map();
      },
      combine: async (own: ServerStats): Promise<ServerStats> => {
        const turnMs: ServerStats['turnMs'] = {};
        for (const [name, list] of samples) {
          const sorted = list.sort((a, b) => a - b);
          const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
          turnMs[name] = { turns: sorted.length, p50: r(at(0.5)), p99: r(at(0.99)) };
        }
        return { ...own, turnMs };
      },
    },
  };
}

/**
 * Serve `reset` / `stats` over IPC. A server with worker processes passes `hooks`: `reset`
 * starts their measurement too, `combine` folds their figures into this process's.
 */
export function serveStats(
  hooks: { reset?: () => Promise<void>; combine?: (own: ServerStats) => Promise<ServerStats> } = {},
): void {
  const idleRss = process.memoryUsage.rss();
  let loop = monitorEventLoopDelay({ resolution: 5 });
  let cpu = process.cpuUsage();
  let since = performance.now();
  let schedule = mainThreadSchedule();
  let maxRss = idleRss;
  const gc = gcCounter();
  setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  }, 1000).unref();
  // ROOMKIT_BENCH_ALLOC=1: where the server allocates during a step (top sites on stderr).
  // ROOMKIT_BENCH_ALLOC=kept: what the calls allocated 3 to 4.5 s in and still hold at 5 s (run
  // the server with ROOMKIT_BENCH_SERVER_ARGS=--expose-gc): what outlives scavenges, which
  // is what makes them slow. bench/heap-summary.ts reads a snapshot's retainers.
  // ROOMKIT_BENCH_ALLOC=survived: what outlived a scavenge during the step, dead or alive now
  // (promoted, or held by a dead object in the old generation: ws's fragments array was one).
  // What was still young when the step ended counts too. With ROOMKIT_BENCH_SERVER_ARGS=
  // --trace-gc-nvp, each scavenge's `promoted` and `new_space_survived` are the figures.
  const alloc = process.env.ROOMKIT_BENCH_ALLOC
    ? allocationSampler(process.env.ROOMKIT_BENCH_ALLOC)
    : undefined;
  const pending: NodeJS.Timeout[] = [];
  // ROOMKIT_BENCH_STALLS=1: what the step's stalls of 20 ms or more were made of, on stderr;
  // =dir also writes each report's stalls there (with ROOMKIT_BENCH_PROFILE, to its directory).
  const stalls = process.env.ROOMKIT_BENCH_STALLS ? stallWatch() : undefined;
  const stallDir =
    process.env.ROOMKIT_BENCH_PROFILE ??
    (process.env.ROOMKIT_BENCH_STALLS !== '1' ? process.env.ROOMKIT_BENCH_STALLS : undefined);
  if (stalls && stallDir) mkdirSync(stallDir, { recursive: true });
  let stallReports = 0;
  const profiler = process.env.ROOMKIT_BENCH_PROFILE
    ? windowProfiler(process.env.ROOMKIT_BENCH_PROFILE, `calls-${process.pid}`)
    : undefined;
  process.on('message', async (msg: { type: string }) => {
    if (msg.type === 'exit') process.exit(0);
    if (msg.type === 'reset') {
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      cpu = process.cpuUsage();
      since = performance.now();
      schedule = mainThreadSchedule();
      maxRss = process.memoryUsage.rss();
      gc.reset();
      stalls?.reset();
      await hooks.reset?.();
      // A step resets twice (as it starts, and once its sessions are open and the calls run):
      // timers of the first reset give way to the second's.
      for (const timer of pending.splice(0)) clearTimeout(timer);
      if (alloc?.kept) {
        pending.push(setTimeout(() => void alloc.start(), 3000));
        pending.push(setTimeout(() => void alloc.report(), 5000));
      } else await alloc?.start();
      // ROOMKIT_BENCH_SNAPSHOT=dir: heap snapshots 5 s into the calls and 1 s after the first
      // is written (the step's figures are then void). `bench/heap-summary.ts second --since
      // first` shows what the second holds that is younger than the first.
      const snapshots = process.env.ROOMKIT_BENCH_SNAPSHOT;
      const snapshot = () =>
        console.error(`heap snapshot: ${writeHeapSnapshot(`${snapshots}/step-${Date.now()}.heapsnapshot`)}`);
      // ROOMKIT_BENCH_PROFILE=dir: a CPU profile of 3 s of the calls, from 3 s in
      // (`npx tsx bench/profile-summary.ts dir`).
      if (profiler) {
        pending.push(setTimeout(() => void profiler.start(), 3000));
        pending.push(setTimeout(() => void profiler.stop(), 6000));
      }
      if (snapshots)
        pending.push(
          setTimeout(() => {
            snapshot();
            setTimeout(snapshot, 1000);
          }, 5000),
        );
      process.send!({ type: 'reset-done' });
    } else if (msg.type === 'stats') {
      await alloc?.report();
      if (stalls) console.error(stalls.report());
      // The stalls' bounds: with a profile of the same window, bench/stall-profile.ts cuts it
      // down to them.
      if (stalls && stallDir)
        writeFileSync(
          join(stallDir, `stalls-${process.pid}-${++stallReports}.json`),
          JSON.stringify(stalls.list()),
        );
      const used = process.cpuUsage(cpu);
      const wallMs = performance.now() - since;
      const scheduled = mainThreadSchedule();
      const own: ServerStats = {
        ...(schedule && scheduled
          ? {
              mainThread: {
                run: (scheduled.runNs - schedule.runNs) / (wallMs * 1e6),
                waitForCore: (scheduled.waitNs - schedule.waitNs) / (wallMs * 1e6),
              },
            }
          : {}),
        cpu: (used.user + used.system) / 1000 / wallMs,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        idleRss,
        maxRss: Math.max(maxRss, process.memoryUsage.rss()),
        heapUsed: process.memoryUsage().heapUsed,
        gc: gc.read(),
      };
      process.send!({ type: 'stats', stats: hooks.combine ? await hooks.combine(own) : own });
    }
  });
}

/** Tell the harness where to connect. */
export function announce(url: string): void {
  process.send!({ type: 'listening', url });
}

function allocationSampler(mode: string) {
  const kept = mode === 'kept';
  const survived = mode === 'survived';
  const session = new Session();
  session.connect();
  let sampling = false;
  return {
    kept,
    start: async () => {
      sampling = true;
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: !kept,
        includeObjectsCollectedByMinorGC: !kept && !survived,
      } as never);
    },
    async report() {
      if (!sampling) return;
      sampling = false;
      // Dead objects count as alive until a GC finds them: one runs first.
      if (kept) globalThis.gc?.();
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
        profile: { head: AllocNode; samples: { size: number; nodeId: number; ordinal: number }[] };
      };
      // Ordinals count allocation: the last quarter (about the last half second) is what was
      // in flight when sampling stopped, not what lives on.
      let samples = profile.samples;
      if (kept) {
        let [first, last] = [Number.POSITIVE_INFINITY, 0];
        for (const { ordinal } of samples)
          [first, last] = [Math.min(first, ordinal), Math.max(last, ordinal)];
        samples = samples.filter((s) => s.ordinal < first + 0.75 * (last - first));
      }
      const nodes = new Map<number, { node: AllocNode; parent?: AllocNode }>();
      const walk = (node: AllocNode, parent?: AllocNode) => {
        nodes.set(node.id, { node, parent });
        for (const child of node.children) walk(child, node);
      };
      walk(profile.head);
      const sites = new Map<string, number>();
      let total = 0;
      for (const sample of samples) {
        const chain: string[] = [];
        for (
          let at = nodes.get(sample.nodeId);
          at && chain.length < Number(process.env.ROOMKIT_BENCH_ALLOC_DEPTH ?? 4);
          at = at.parent && nodes.get(at.parent.id)
        ) {
          const f = at.node.callFrame;
          chain.push(`${f.functionName || '(anon)'}@${f.url.split('/').slice(-2).join('/')}`);
        }
        const weight = Math.max(sample.size, 1024);
        total += weight;
        const key = chain.join(' < ');
        sites.set(key, (sites.get(key) ?? 0) + weight);
      }
      console.error(
        `${kept ? 'allocated 3-4.5 s into the step, still held at 5 s:' : 'allocated'} ~${Math.round(total / 1e6)} MB`,
      );
      for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        console.error(`${Math.round(bytes / 1e3)} kB  ${site}`);
      }
    },
  };
}

interface AllocNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children: AllocNode[];
}
