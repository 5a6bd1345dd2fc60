import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { VoiceWorkerStats } from './worker-protocol.js';

/** A process's CPU share and event-loop delay between two reads (what a worker reports on `stats`). */
export class LoadMeter {
  private loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  private cpu = process.cpuUsage();
  private since = performance.now();

  constructor() {
    this.loop.enable();
  }

  read(calls: number): VoiceWorkerStats {
    const used = process.cpuUsage(this.cpu);
    const stats: VoiceWorkerStats = {
      pid: process.pid,
      calls,
      cpu: (used.user + used.system) / 1000 / Math.max(1, performance.now() - this.since),
      loopDelayP99Ms: this.loop.percentile(99) / 1e6,
      rss: process.memoryUsage.rss(),
    };
    this.loop.reset();
    this.cpu = process.cpuUsage();
    this.since = performance.now();
    return stats;
  }
}
