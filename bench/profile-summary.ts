/**
 * Where the time of one or more .cpuprofile files went: the top functions by self time and
 * by inclusive time, and apart from them the sample gaps that are the thread off the CPU
 * (see profile-attribution.ts).
 * `npx tsx bench/profile-summary.ts <file or dir>... [--top 30]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { attribute, type Profile } from './profile-attribution.js';

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

const { busyUs, offCpuUs, self, inclusive } = attribute(
  files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Profile),
);

function print(title: string, map: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${((100 * us) / busyUs).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`,
    );
}

console.log(
  `${files.length} profile(s), ${(busyUs / 1000).toFixed(1)} ms busy on the CPU; ` +
    `${(offCpuUs / 1000).toFixed(1)} ms more in long sample gaps (off the CPU with work to do), left out`,
);
print('self', self);
print('inclusive', inclusive);
