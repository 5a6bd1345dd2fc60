/**
 * The server side of the voice benches' measurements, for a server running in a child
 * process: answers the harness's IPC messages `reset` (a step starts) and `stats` (it ended)
 * with the process's CPU share, event-loop delay and memory over the step.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ServerStats {
  /** CPU time over wall time since `reset` (1 = one core busy). */
  cpu: number;
  /** p99 of the event loop's delay since `reset`, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Resident memory: before any session, and the most seen since `reset`. */
  idleRss: number;
  maxRss: number;
  heapUsed: number;
}

/** Serve `reset` / `stats` over IPC; `extra` adds figures of the server's own (e.g. its workers). */
export function serveStats(extra: () => Promise<Partial<ServerStats>> = async () => ({})): void {
  const idleRss = process.memoryUsage.rss();
  let loop = monitorEventLoopDelay({ resolution: 5 });
  let cpu = process.cpuUsage();
  let since = performance.now();
  let maxRss = idleRss;
  setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  }, 250).unref();
  process.on('message', async (msg: { type: string }) => {
    if (msg.type === 'exit') process.exit(0);
    if (msg.type === 'reset') {
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      cpu = process.cpuUsage();
      since = performance.now();
      maxRss = process.memoryUsage.rss();
      process.send!({ type: 'reset-done' });
    } else if (msg.type === 'stats') {
      const used = process.cpuUsage(cpu);
      const own: ServerStats = {
        cpu: (used.user + used.system) / 1000 / (performance.now() - since),
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        idleRss,
        maxRss: Math.max(maxRss, process.memoryUsage.rss()),
        heapUsed: process.memoryUsage().heapUsed,
      };
      process.send!({ type: 'stats', stats: { ...own, ...(await extra()) } });
    }
  });
}

/** Tell the harness where to connect. */
export function announce(url: string): void {
  process.send!({ type: 'listening', url });
}
