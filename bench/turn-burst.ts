/**
 * A burst of turns that end on the same tick, in one process: CPU per turn from the end of
 * the caller's speech to the reply's first frame, with the voice bench's pipeline and mocks
 * on `MockVoiceBackend` (no sockets, so it isolates the turn path: transcript -> room ->
 * AI -> voice delivery -> reply start). `ROOMKIT_BENCH_TURN_BURST=600` sets the callers;
 * `ROOMKIT_BENCH_TURN_BURST_PROFILE=dir` writes a CPU profile of each measured burst there.
 */
import { burstCallers } from './burst-callers.js';
import { windowProfiler } from './window-profiler.js';

const ROUNDS = 12;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The first rounds warm the JIT; the figures are the rest's. */
const WARM_ROUNDS = 4;

export async function benchTurnBurst(): Promise<Record<string, unknown>> {
  const callers = Number(process.env.ROOMKIT_BENCH_TURN_BURST ?? 600);
  const burst = await burstCallers(callers);
  const profiler = windowProfiler(process.env.ROOMKIT_BENCH_TURN_BURST_PROFILE, 'turn-burst');
  const cpuPerTurn: number[] = [];
  const wallMs: number[] = [];
  const bargeInFrame: number[] = [];
  const plainFrame: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await burst.speakAlmostToTheEnd();
      const profiled = round >= WARM_ROUNDS;
      if (profiled) await profiler.start();
      const cpu = process.cpuUsage();
      const start = performance.now();
      await burst.endUtterances();
      await burst.repliesStarted();
      const used = process.cpuUsage(cpu);
      if (profiled) await profiler.stop();
      if (round >= WARM_ROUNDS) {
        cpuPerTurn.push((used.user + used.system) / callers);
        wallMs.push(performance.now() - start);
      }
      // Every caller talks over their reply at once: the CPU per caller of each loud frame.
      // The costliest is the one whose VAD start interrupts every reply (the barge-in); the
      // utterance they start is ended by the next round's frames, so it makes no extra turn.
      await new Promise((r) => setTimeout(r, 60));
      const frames: number[] = [];
      for (let k = 0; k < 8; k++) {
        const before = process.cpuUsage();
        await burst.talk();
        const used = process.cpuUsage(before);
        frames.push((used.user + used.system) / callers);
      }
      if (round >= WARM_ROUNDS) {
        frames.sort((a, b) => a - b);
        bargeInFrame.push(frames.at(-1)!);
        plainFrame.push(median(frames));
      }
      await burst.kit.waitForIdle();
      await new Promise((r) => setTimeout(r, 500)); // what is left plays out
    }
  } finally {
    await burst.kit.close();
  }
  return {
    bench: 'voice_turn_burst',
    callers,
    rounds: cpuPerTurn.length,
    cpuMicrosPerTurn: { median: Math.round(median(cpuPerTurn)), min: Math.round(Math.min(...cpuPerTurn)) },
    burstWallMs: { median: Math.round(median(wallMs)), max: Math.round(Math.max(...wallMs)) },
    // CPU per caller of the frame in which every caller barges in, against their other frames.
    bargeInFrameCpuMicros: {
      median: Math.round(median(bargeInFrame)),
      min: Math.round(Math.min(...bargeInFrame)),
    },
    plainFrameCpuMicros: { median: Math.round(median(plainFrame)) },
  };
}
