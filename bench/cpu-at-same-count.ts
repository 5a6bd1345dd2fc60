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
 * Two servers' CPU at the same load: at the smaller of their two limits (which both passed),
 * the median of each one's runs there. The session counts say where each server stops; this
 * says what a session costs each below that, a figure the machine's drift moves less, since
 * the servers took turns at that count in the same minutes. Undefined when either passed
 * nothing, or when one never ran that count (a limit found by narrowing a gap of the list can
 * be a count the other server skipped).
 */
export function cpuAtSameCount(
  ours: { max: number; lines: readonly StepLine[] },
  bare: { max: number; lines: readonly StepLine[] },
): CpuAtSameCount | undefined {
  const sessions = Math.min(ours.max, bare.max);
  if (sessions <= 0) return undefined;
  const cpuAt = (lines: readonly StepLine[]) =>
    lines
      .filter((l) => l.bench === 'voice_concurrent_sessions' && l.sessions === sessions)
      .map((l) => l.serverCpu as number);
  const oursCpu = cpuAt(ours.lines);
  const bareCpu = cpuAt(bare.lines);
  if (oursCpu.length === 0 || bareCpu.length === 0) return undefined;
  const roomkit = quantile(oursCpu, 0.5);
  const bareWs = quantile(bareCpu, 0.5);
  return { sessions, roomkit, bareWs, ratio: Math.round((roomkit / bareWs) * 100) / 100 };
}
