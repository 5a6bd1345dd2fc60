import { quantile } from './quantile.js';

/** A sweep's step lines, as `voice-sessions.ts` prints them. */
type StepLine = Record<string, unknown>;

export interface CpuAtSameCount {
  sessions: number;
  /** Median `serverCpu` (cores) of each server's runs at that count. */
  roomkit: number;
  bareWs: number;
  /** Ours over the bare server's: what a session costs us against the machine's floor. */
  ratio: number;
}

/**
 * Two servers' CPU at the same load: at the largest count both ran and passed (at most the
 * smaller of their two limits), the median of each one's runs there. The session counts say
 * where each server stops; this says what a session costs each below that, a figure the
 * machine's drift moves less, since the servers took turns at that count in the same
 * minutes. A limit found by narrowing a gap of the list can be a count the other server
 * skipped; the largest count below it that both ran is taken then. Every count a sweep ran at
 * or under its limit passed (a sweep goes up only past a pass), so a count both ran there
 * passed for both. Undefined when either passed nothing or they share no such count.
 */
export function cpuAtSameCount(
  ours: { max: number; lines: readonly StepLine[] },
  bare: { max: number; lines: readonly StepLine[] },
): CpuAtSameCount | undefined {
  const limit = Math.min(ours.max, bare.max);
  const cpuByCount = (lines: readonly StepLine[]) => {
    const byCount = new Map<number, number[]>();
    for (const l of lines) {
      const n = l.sessions as number;
      if (l.bench !== 'voice_concurrent_sessions' || n > limit) continue;
      let runs = byCount.get(n);
      if (!runs) byCount.set(n, (runs = []));
      runs.push(l.serverCpu as number);
    }
    return byCount;
  };
  const oursCpu = cpuByCount(ours.lines);
  const bareCpu = cpuByCount(bare.lines);
  const shared = [...oursCpu.keys()].filter((n) => bareCpu.has(n));
  if (limit <= 0 || shared.length === 0) return undefined;
  const sessions = Math.max(...shared);
  const roomkit = quantile(oursCpu.get(sessions)!, 0.5);
  const bareWs = quantile(bareCpu.get(sessions)!, 0.5);
  return { sessions, roomkit, bareWs, ratio: Math.round((roomkit / bareWs) * 100) / 100 };
}
