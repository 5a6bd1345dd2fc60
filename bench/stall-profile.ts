/**
 * Where the CPU went inside a server's long stalls: a window profile cut down to the samples
 * that fall inside the stalls `stall-watch.ts` recorded over the same step.
 * Run the bench with `ROOMKIT_BENCH_STALLS=1 ROOMKIT_BENCH_PROFILE=dir`, then
 * `npx tsx bench/stall-profile.ts dir/calls-<pid>-<n>.cpuprofile dir/stalls-<pid>-<m>.json [--top 30]`
 * (the stalls file of the calls is the step's second report: the first covers the opening).
 * Prints self and inclusive time as `profile-summary.ts` does (see profile-attribution.ts).
 */
import { readFileSync } from 'node:fs';
import { attribute, type Profile, printAttribution } from './profile-attribution.js';

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

const attribution = attribute([profile], {
  during: (atUs) => stalls.some((s) => atUs > s.startUs && atUs <= s.endUs),
});
const stallMs =
  stalls.reduce(
    (sum, s) => sum + (Math.min(s.endUs, profile.endTime) - Math.max(s.startUs, profile.startTime)),
    0,
  ) / 1000;
const ms = (us: number) => (us / 1000).toFixed(0);
console.log(
  `${stalls.length} stalls in the profile's window, ${stallMs.toFixed(0)} ms; in them ` +
    `${ms(attribution.busyUs)} ms busy on the CPU, ${ms(attribution.idleUs)} ms "(idle)" ` +
    `(epoll and the poll phase's socket reads), ${ms(attribution.offCpuUs)} ms off the CPU`,
);
printAttribution(attribution, top);
