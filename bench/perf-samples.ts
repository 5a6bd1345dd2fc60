/**
 * Samples of Linux `perf record -g` as `perf script` prints them, and where a thread's time
 * went by them. V8's own profiles of the voice servers see JavaScript only: the kernel's
 * socket calls and Node's C++ around them count as "(idle)", and a thread preempted inside a
 * syscall is charged to that syscall when it runs again. perf samples the CPU itself, so a
 * thread's samples are its CPU time, kernel included (see docs/decisions.md, "Where the voice
 * servers' CPU goes, by perf").
 */

export interface PerfSample {
  /** The thread (`perf script` prints the thread id; a process's main thread has its pid). */
  tid: number;
  comm: string;
  /** Sampling period in ns (cpu-clock's is the sampling interval). */
  periodNs: number;
  /** Symbols, leaf first, with offsets and the dso left out; JIT code as V8 names it. */
  frames: string[];
  /** Whether each frame is kernel code. */
  kernel: boolean[];
}

// `comm tid [cpu] time: period event:` (no [cpu] when perf recorded one process, `-p`).
const HEADER = /^(\S.*?)\s+(\d+)(?:\/\d+)?\s+(?:\[\d+\]\s+)?[\d.]+:\s+(\d+)\s+\S+:/;
const FRAME = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^()]*)\)\s*$/;

/** Parses `perf script`'s default output (header line, then one frame a line, blank between). */
export function parsePerfScript(text: string): PerfSample[] {
  const samples: PerfSample[] = [];
  let current: PerfSample | undefined;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = {
        comm: header[1]!,
        tid: Number(header[2]),
        periodNs: Number(header[3]),
        frames: [],
        kernel: [],
      };
      samples.push(current);
      continue;
    }
    const frame = current && FRAME.exec(line);
    if (!frame) continue;
    current!.frames.push(symbolName(frame[1]!));
    current!.kernel.push(frame[2]!.includes('kernel.kallsyms'));
  }
  return samples;
}

function symbolName(symbol: string): string {
  return symbol.replace(/\+0x[0-9a-f]+$/, '').replace(/file:\/\/\/\S*?\/(src|bench|node_modules)\//, '$1/');
}

const GC = /v8::internal::(Heap::(CollectGarbage|Scavenge|MarkCompact)|Scavenger|MarkCompact|MinorMarkSweep)/;
/** libuv's phases (uv_run calls each; a stack holds one), and what this file calls them. */
const PHASES: [string, string][] = [
  ['uv__run_timers', 'timers'],
  ['uv__run_check', 'immediates'],
  ['uv__io_poll', 'io'],
];

export interface ThreadTime {
  tid: number;
  samples: number;
  ms: number;
  /** Shares of the thread's samples, each sample in one: gc, syscall:<libc call>, kernel (faults, interrupts), or the libuv phase its user code ran in (timers, immediates, io, other). */
  shares: Record<string, number>;
  /** Shares of samples whose stack holds each `match` (a sample counts for every match). */
  inclusive: Record<string, number>;
  /** The functions the samples stopped in, most first, as shares. */
  top: [string, number][];
}

/** Where `tid`'s samples went. `match`: substrings to count inclusively (a function, a file). */
export function threadTime(samples: PerfSample[], tid: number, match: string[] = [], top = 25): ThreadTime {
  const mine = samples.filter((s) => s.tid === tid);
  const shares = new Map<string, number>();
  const inclusive = new Map<string, number>(match.map((m) => [m, 0]));
  const leaves = new Map<string, number>();
  let ns = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const sample of mine) {
    ns += sample.periodNs;
    bump(shares, category(sample));
    bump(leaves, sample.frames[0] ?? '?');
    for (const m of match) if (sample.frames.some((f) => f.includes(m))) bump(inclusive, m);
  }
  const n = mine.length || 1;
  const asShares = (entries: [string, number][]) =>
    entries.map(([k, v]): [string, number] => [k, round(v / n)]);
  const mostFirst = (map: Map<string, number>) => asShares([...map].sort((a, b) => b[1] - a[1]));
  return {
    tid,
    samples: mine.length,
    ms: Math.round(ns / 1e6),
    shares: Object.fromEntries(mostFirst(shares)),
    inclusive: Object.fromEntries(asShares([...inclusive])),
    top: mostFirst(leaves).slice(0, top),
  };
}

function category(sample: PerfSample): string {
  const { frames, kernel } = sample;
  if (frames.some((f) => GC.test(f))) return 'gc';
  if (kernel[0]) {
    // The syscall is the first user frame: libc's wrapper (read, writev, epoll_pwait...).
    const at = kernel.indexOf(false);
    const caller = at < 0 ? undefined : frames[at];
    return caller && frames.slice(0, at).some((f) => f === 'do_syscall_64')
      ? `syscall:${libcName(caller)}`
      : 'kernel';
  }
  for (const [marker, phase] of PHASES) if (frames.some((f) => f === marker)) return phase;
  return 'other';
}

/** glibc's internal aliases under the call's own name (`__GI___writev` is writev). */
function libcName(symbol: string): string {
  return symbol.replace(/^(__GI_)?_*(libc_)?/, '');
}

/** The threads by samples, most first: a server's main thread is the first of its pid. */
export function threadsBySamples(samples: PerfSample[]): { tid: number; comm: string; samples: number }[] {
  const byTid = new Map<number, { tid: number; comm: string; samples: number }>();
  for (const s of samples) {
    const entry = byTid.get(s.tid) ?? { tid: s.tid, comm: s.comm, samples: 0 };
    entry.samples++;
    byTid.set(s.tid, entry);
  }
  return [...byTid.values()].sort((a, b) => b.samples - a.samples);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
