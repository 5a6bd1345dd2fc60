/**
 * A vitest reporter that keeps the whole run bounded. Each test bounds its own waits, but a
 * worker stuck in synchronous code (a loop that never yields) cannot be interrupted by its
 * test timeout, and a run that hangs says nothing about where. This runs in vitest's main
 * process, whose event loop stays free while a worker is stuck:
 *
 * - every minute, a test that has run longer than `ROOMKIT_TEST_STALL_S` (default 420 s, above
 *   the longest test timeout) is named on stderr;
 * - past `ROOMKIT_TEST_RUN_LIMIT_S` (default 1500 s) the run stops with exit code 1, after
 *   naming every test file still running and the test each is in, and killing the test
 *   workers and whatever they started (a stuck worker would otherwise outlive us, holding
 *   the output that CI waits on).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface Running {
  since: number;
  test?: { name: string; since: number };
}

const seconds = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return (Number.isFinite(value) && value > 0 ? value : fallback) * 1000;
};

export default class WatchdogReporter implements Reporter {
  private readonly stallMs = seconds('ROOMKIT_TEST_STALL_S', 420);
  private readonly runLimitMs = seconds('ROOMKIT_TEST_RUN_LIMIT_S', 1500);
  private readonly running = new Map<string, Running>();
  private readonly named = new Set<string>();
  private started = 0;
  private timer?: NodeJS.Timeout;

  onTestRunStart(): void {
    this.started = Date.now();
    this.timer = setInterval(() => this.check(), Math.min(60_000, this.stallMs / 2));
    this.timer.unref();
  }

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.moduleId, { since: Date.now() });
  }

  onTestCaseReady(test: TestCase): void {
    const entry = this.running.get(test.module.moduleId);
    if (entry) entry.test = { name: test.fullName, since: Date.now() };
  }

  onTestCaseResult(test: TestCase): void {
    const entry = this.running.get(test.module.moduleId);
    if (entry) entry.test = undefined;
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    for (const [file, entry] of this.running) {
      const since = entry.test?.since ?? entry.since;
      const key = `${file}\0${entry.test?.name ?? ''}`;
      if (now - since < this.stallMs || this.named.has(key)) continue;
      this.named.add(key);
      console.error(`watchdog: ${this.describe(file, entry, now)}`);
    }
    if (now - this.started < this.runLimitMs) return;
    console.error(`watchdog: the test run passed its limit of ${this.runLimitMs / 1000} s; still running:`);
    for (const [file, entry] of this.running) console.error(`  ${this.describe(file, entry, now)}`);
    for (const pid of descendants(process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {} // gone already
    }
    process.exit(1);
  }

  private describe(file: string, entry: Running, now: number): string {
    const where = file.replace(`${process.cwd()}/`, '');
    if (!entry.test) return `${where} has run ${Math.round((now - entry.since) / 1000)} s`;
    return `${where}: "${entry.test.name}" has run ${Math.round((now - entry.test.since) / 1000)} s`;
  }
}

/** Every process below `root`, read from /proc (Linux; elsewhere none are found). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      // The parent is the second field after the command, which is in parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {} // exited while we read
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length; ) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
