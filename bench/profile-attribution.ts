/**
 * Where the time of CPU profiles went, by function: self time and inclusive time (a function
 * counted once per sample however deep it recurses), idle and the window profiler's own
 * start-up left out.
 *
 * A sample's time is the gap since the sample before. The profiler samples every 100 us, and
 * the gaps are 150-250 us while the thread runs; but a thread taken off the CPU (waiting for a
 * core: on the voice bench's two cores, 7-13% of the calls' wall time) is sampled again only
 * when it runs, and that gap of several milliseconds would be charged to whatever function
 * was on the stack. At 600 calls such gaps were 43% of a profile's "busy" time and reordered
 * its top functions. So a sample counts for at most twice the profile's median gap, and the
 * rest is reported apart, as `offCpuUs`.
 */

import { quantile } from './quantile.js';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** When sampling started, us on the monotonic clock (`process.hrtime`'s). */
  startTime?: number;
}

export interface Attribution {
  /** Time on the CPU, us. */
  busyUs: number;
  /** Sample gaps beyond twice the median: the thread off the CPU while it had work, us. */
  offCpuUs: number;
  /**
   * V8's "(idle)", us: the event loop outside JavaScript, waiting in epoll and also in the
   * kernel's socket reads of the poll phase.
   */
  idleUs: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
}

export interface AttributeOptions {
  /**
   * Count only the samples taken at times it accepts (us, on the profile's clock from its
   * `startTime`): e.g. the stalls of stall-watch.ts. The off-CPU rule still reads every sample.
   */
  during?: (atUs: number) => boolean;
}

export function attribute(profiles: Profile[], opts: AttributeOptions = {}): Attribution {
  const out: Attribution = { busyUs: 0, offCpuUs: 0, idleUs: 0, self: new Map(), inclusive: new Map() };
  for (const profile of profiles) addProfile(profile, out, opts);
  return out;
}

function addProfile(profile: Profile, out: Attribution, opts: AttributeOptions): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counted: { stack: ProfileNode[]; us: number; wanted: boolean }[] = [];
  const idle: number[] = [];
  let atUs = profile.startTime ?? 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    atUs += us;
    const wanted = opts.during?.(atUs) ?? true;
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') {
      if (wanted) idle.push(us);
      return;
    }
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
    // Profiler.start samples the rest of its own call: not the bench's work.
    if (stack.some((n) => n.callFrame.url.endsWith('window-profiler.ts'))) return;
    counted.push({ stack, us, wanted });
  });
  const gaps = counted.map((s) => s.us);
  const cap = 2 * quantile(gaps, 0.5);
  for (const us of idle) out.idleUs += Math.min(us, cap);
  for (const { stack, us, wanted } of counted) {
    if (!wanted) continue;
    const onCpu = Math.min(us, cap);
    out.busyUs += onCpu;
    out.offCpuUs += us - onCpu;
    add(out.self, label(stack[0]!), onCpu);
    const seen = new Set<string>();
    for (const node of stack) {
      const key = label(node);
      if (seen.has(key)) continue;
      seen.add(key);
      add(out.inclusive, key, onCpu);
    }
  }
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

/** The top `top` functions by self and by inclusive time, as shares of the busy time. */
export function printAttribution({ busyUs, self, inclusive }: Attribution, top: number): void {
  for (const [title, map] of [
    ['self', self],
    ['inclusive', inclusive],
  ] as const) {
    console.log(`\n${title}`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `${((100 * us) / busyUs).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`,
      );
  }
}
