/**
 * Where the CPU went inside a server's long stalls: a window profile cut down to the samples
 * that fall inside the stalls `stall-watch.ts` recorded over the same step.
 * Run the bench with `ROOMKIT_BENCH_STALLS=1 ROOMKIT_BENCH_PROFILE=dir`, then
 * `npx tsx bench/stall-profile.ts dir/calls-<pid>-<n>.cpuprofile dir/stalls-<pid>-<m>.json [--top 30]`
 * (the stalls file of the calls is the step's second report: the first covers the opening).
 * Prints self time by function, and by the first function of ours on the stack.
 */
import { readFileSync } from 'node:fs';
import type { Profile } from './profile-attribution.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
const [profileFile, stallsFile] = args;
if (!profileFile || !stallsFile) {
  console.error('usage: stall-profile.ts <profile.cpuprofile> <stalls.json> [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile & {
  startTime: number;
  endTime: number;
};
const stalls = (JSON.parse(readFileSync(stallsFile, 'utf8')) as { startUs: number; endUs: number }[]).filter(
  (s) => s.endUs > profile.startTime && s.startUs < profile.endTime,
);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (id: number) => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
};
const ours = (id: number) => byId.get(id)!.callFrame.url.includes('/src/');

const self = new Map<string, number>();
const byOurs = new Map<string, number>();
let inStalls = 0;
/** Gaps between samples longer than this are the thread off the CPU (see profile-attribution.ts). */
const OFF_CPU_US = Number(process.env.ROOMKIT_BENCH_PROFILE_INTERVAL_US ?? 100) * 10;
let offCpu = 0;
let at = profile.startTime;
let k = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i]!;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  while (k < stalls.length && stalls[k]!.endUs <= at) k++;
  if (k >= stalls.length || at < stalls[k]!.startUs) continue;
  if (dt > OFF_CPU_US) {
    offCpu += dt;
    continue;
  }
  inStalls += dt;
  const leaf = profile.samples[i]!;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  let id: number | undefined = leaf;
  while (id !== undefined && !ours(id)) id = parent.get(id);
  const key = id === undefined ? `(no frame of ours) ${label(leaf)}` : label(id);
  byOurs.set(key, (byOurs.get(key) ?? 0) + dt);
}

const stallMs =
  stalls.reduce(
    (sum, s) => sum + (Math.min(s.endUs, profile.endTime) - Math.max(s.startUs, profile.startTime)),
    0,
  ) / 1000;
console.log(
  `${stalls.length} stalls in the profile's window, ${stallMs.toFixed(0)} ms; on the CPU in them ${(inStalls / 1000).toFixed(0)} ms, off it ${(offCpu / 1000).toFixed(0)} ms`,
);
for (const [title, map] of [
  ['self', self],
  ['by the innermost function of ours on the stack', byOurs],
] as const) {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}
