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
}

export interface Attribution {
  /** Time on the CPU, us. */
  busyUs: number;
  /** Sample gaps beyond twice the median: the thread off the CPU while it had work, us. */
  offCpuUs: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
}

export function attribute(profiles: Profile[]): Attribution {
  const out: Attribution = { busyUs: 0, offCpuUs: 0, self: new Map(), inclusive: new Map() };
  for (const profile of profiles) addProfile(profile, out);
  return out;
}

function addProfile(profile: Profile, out: Attribution): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counted: { stack: ProfileNode[]; us: number }[] = [];
  profile.samples.forEach((id, i) => {
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') return;
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
    // Profiler.start samples the rest of its own call: not the bench's work.
    if (stack.some((n) => n.callFrame.url.endsWith('window-profiler.ts'))) return;
    counted.push({ stack, us: profile.timeDeltas[i] ?? 0 });
  });
  const gaps = counted.map((s) => s.us);
  const cap = 2 * quantile(gaps, 0.5);
  for (const { stack, us } of counted) {
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
