/**
 * Where the time of one or more .cpuprofile files went: the top functions by self time and
 * by inclusive time, and apart from them the sample gaps that are the thread off the CPU
 * (see profile-attribution.ts).
 * `npx tsx bench/profile-summary.ts <file or dir>... [--top 30]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, type Profile, printAttribution } from './profile-attribution.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
const files = args.flatMap((path) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(path, f))
    : [path],
);

const attribution = attribute(files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Profile));
const { busyUs, offCpuUs } = attribution;

console.log(
  `${files.length} profile(s), ${(busyUs / 1000).toFixed(1)} ms busy on the CPU; ` +
    `${(offCpuUs / 1000).toFixed(1)} ms more in long sample gaps (off the CPU with work to do), left out`,
);
printAttribution(attribution, top);
