/**
 * Where a voice server's CPU went, from a `perf record -g` of it (as `ROOMKIT_BENCH_PERF=dir`
 * records each step's calls): the main thread's time by GC, syscall and event-loop phase, the
 * functions it stopped in, and its helper threads (the GC's) apart.
 * `npx tsx bench/perf-summary.ts <file.data> [--tid N] [--match processInbound,say]`
 * When the server ran with `--perf-prof` (the harness does), its JIT code is named through
 * `perf inject --jit`, run once per recording (it writes `<file>.jit.data` and one `.so` per
 * compiled function beside it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parsePerfScript, threadsBySamples, threadTime } from './perf-samples.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const tidOption = option('--tid');
const match = option('--match')?.split(',').filter(Boolean) ?? [];
const file = args[0];
if (!file) {
  console.error('usage: npx tsx bench/perf-summary.ts <file.data> [--tid N] [--match a,b]');
  process.exit(2);
}

const dir = dirname(file);
let input = file;
if (!file.endsWith('.jit.data') && readdirSync(dir).some((f) => /^jit-\d+\.dump$/.test(f))) {
  input = `${file.replace(/\.data$/, '')}.jit.data`;
  if (!existsSync(input))
    execFileSync('perf', ['inject', '--jit', '-i', basename(file), '-o', basename(input)], { cwd: dir });
}
const samples = parsePerfScript(
  execFileSync('perf', ['script', '-i', input], {
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString(),
);
const threads = threadsBySamples(samples);
const main = tidOption ? Number(tidOption) : threads[0]?.tid;
if (main === undefined) {
  console.error(`${file}: no samples`);
  process.exit(1);
}
const time = threadTime(samples, main, match);
const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}: thread ${main}, ${time.samples} samples, ${time.ms} ms on the CPU`);
console.log('by kind');
// Syscalls made a few times in the recording (brk, futex...) are left out below 0.1%.
for (const [k, v] of Object.entries(time.shares)) if (v >= 0.001) console.log(`  ${pct(v)}  ${k}`);
if (match.length) {
  console.log('inclusive');
  for (const [k, v] of Object.entries(time.inclusive)) console.log(`  ${pct(v)}  ${k}`);
}
const unknown = time.top.find(([name]) => name === '[unknown]')?.[1] ?? 0;
if (unknown > 0.1)
  console.log(
    `  (${pct(unknown)} of the samples stopped in code perf could not name: JIT code when perf inject` +
      ' found no map for it, as for a second recording of the same server process)',
  );
console.log('stopped in');
for (const [k, v] of time.top) console.log(`  ${pct(v)}  ${k}`);
const others = threads.filter((t) => t.tid !== main);
const otherSamples = others.reduce((sum, t) => sum + t.samples, 0);
console.log(
  `other threads: ${otherSamples} samples (${others.map((t) => `${t.tid} ${t.comm}: ${t.samples}`).join(', ') || 'none'})`,
);
