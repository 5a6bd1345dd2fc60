/**
 * `ROOMKIT_BENCH_PERF=dir`: Linux perf records the voice server over each step's calls, into
 * `dir/<server>-<mode>-<sessions>-<run>.data`; `bench/perf-summary.ts` reads a recording.
 * The server runs in `dir` with `--perf-prof`, so V8 writes its JIT code map (`jit-<pid>.dump`)
 * there for `perf inject --jit` to name JavaScript frames by. Needs `perf` (Debian's
 * linux-perf) and root or `kernel.perf_event_paranoid` <= 1. Only the first recording of a
 * server process reliably keeps its JavaScript names (a second lost a third of them here; the
 * summary says when): to compare two counts, run each as its own bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const PERF_DIR = process.env.ROOMKIT_BENCH_PERF;

export class PerfRecorder {
  private runs = 0;
  private current?: ChildProcess;

  constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {}

  /** How the server is started for perf to record it: from `dir`, with V8's perf support. */
  serverOptions(): { cwd: string; execArgv: string[] } {
    mkdirSync(this.dir, { recursive: true });
    // Resolved here: from `dir`, a bare `--import tsx` would not find the package.
    return { cwd: this.dir, execArgv: ['--import', import.meta.resolve('tsx'), '--perf-prof'] };
  }

  /** Starts recording `pid` (call-graphs, the CPU clock, on the monotonic clock V8 stamps with). */
  start(pid: number, sessions: number): void {
    const file = join(this.dir, `${this.name}-${sessions}-${++this.runs}.data`);
    const perf = spawn(
      'perf',
      ['record', '-k', 'mono', '-g', '-e', 'cpu-clock', '-p', String(pid), '-o', file],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    perf.on('error', (error) => console.error(`perf record: ${error.message}`));
    this.current = perf;
  }

  /** Ends the recording; perf writes its file on SIGINT (bounded: it is killed after 10 s). */
  async stop(): Promise<void> {
    const perf = this.current;
    this.current = undefined;
    if (!perf || perf.exitCode !== null || perf.signalCode !== null) return;
    const exited = once(perf, 'exit');
    perf.kill('SIGINT');
    const timer = setTimeout(() => perf.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
