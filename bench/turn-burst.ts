/**
 * A burst of turns that end on the same tick, in one process: CPU per turn from the end of
 * the caller's speech to the reply's first frame, with the voice bench's pipeline and mocks
 * on `MockVoiceBackend` (no sockets, so it isolates the turn path: transcript -> room ->
 * AI -> voice delivery -> reply start). `ROOMKIT_BENCH_TURN_BURST=600` sets the callers;
 * `ROOMKIT_BENCH_TURN_BURST_PROFILE=dir` writes a CPU profile of each measured burst there.
 */
import { AIChannel, ChannelCategory, RoomKit } from '../src/index.js';
import { silentLogger } from '../src/core/logger.js';
import { MockAIProvider } from '../src/testing/index.js';
import { createVoice } from './voice-mock-voice.js';
import { type AudioFrame, MockVoiceBackend, VoiceChannel, type VoiceSession } from '../src/voice/index.js';
import { WEBSOCKET_PACING } from '../src/voice/backends/websocket-voice-base.js';
import { REPLY_TEXT, SILENCE_MS } from './voice-traffic.js';
import { windowProfiler } from './window-profiler.js';

/**
 * The WebSocket transport without its socket: paced as it is (`WEBSOCKET_PACING`) and
 * sending nowhere. The mock's own sending copied and kept every frame for tests to read
 * (a fifth of a burst's CPU, and garbage the framework did not make).
 */
class DiscardingVoiceBackend extends MockVoiceBackend {
  override readonly pacing = WEBSOCKET_PACING;
  override sendPacedFrame(_session: VoiceSession, _frame: AudioFrame): void {}
}

const ROUNDS = 12;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The first rounds warm the JIT; the figures are the rest's. */
const WARM_ROUNDS = 4;

export async function benchTurnBurst(): Promise<Record<string, unknown>> {
  const callers = Number(process.env.ROOMKIT_BENCH_TURN_BURST ?? 600);
  const kit = new RoomKit({ logger: silentLogger });
  const backend = new DiscardingVoiceBackend({ playbackRealtime: false });
  const { stt, tts, pipeline } = createVoice();
  kit.registerChannel(new VoiceChannel('voice', { stt, tts, backend, pipeline }));
  kit.registerChannel(
    new AIChannel('ai', { provider: new MockAIProvider({ responses: [REPLY_TEXT], recordCalls: false }) }),
  );
  const sessions: VoiceSession[] = [];
  for (let i = 0; i < callers; i++) {
    await kit.createRoom({ roomId: `r${i}` });
    await kit.attachChannel(`r${i}`, 'ai', { category: ChannelCategory.INTELLIGENCE });
    sessions.push(await kit.connectVoice(`r${i}`, `u${i}`, 'voice'));
  }
  const tone = (amplitude: number) => ({
    data: new Int16Array(320).map((_, i) =>
      Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000)),
    ),
    sampleRate: 16000,
    channels: 1,
  });
  const loud = tone(5000);
  const quiet = tone(30);
  const quietFramesToEnd = Math.ceil(SILENCE_MS / 20);
  let firstFrames = 0;
  kit.on('metric', (m) => {
    if (m.name === 'voice.user_stop_to_first_frame_sent') firstFrames++;
  });
  const profiler = windowProfiler(process.env.ROOMKIT_BENCH_TURN_BURST_PROFILE, 'turn-burst');
  const cpuPerTurn: number[] = [];
  const wallMs: number[] = [];
  const bargeInFrame: number[] = [];
  const plainFrame: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < 10; k++) for (const s of sessions) await backend.simulateAudioReceived(s, loud);
      for (let k = 0; k < quietFramesToEnd - 1; k++)
        for (const s of sessions) await backend.simulateAudioReceived(s, quiet);
      firstFrames = 0;
      const profiled = round >= WARM_ROUNDS;
      if (profiled) await profiler.start();
      const cpu = process.cpuUsage();
      const start = performance.now();
      // The last quiet frame ends every caller's utterance on this tick.
      for (const s of sessions) await backend.simulateAudioReceived(s, quiet);
      const deadline = start + 30_000;
      while (firstFrames < callers && performance.now() < deadline) await new Promise((r) => setImmediate(r));
      if (firstFrames < callers) throw new Error(`only ${firstFrames} of ${callers} replies started`);
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
        for (const s of sessions) await backend.simulateAudioReceived(s, loud);
        const used = process.cpuUsage(before);
        frames.push((used.user + used.system) / callers);
      }
      if (round >= WARM_ROUNDS) {
        frames.sort((a, b) => a - b);
        bargeInFrame.push(frames.at(-1)!);
        plainFrame.push(median(frames));
      }
      await kit.waitForIdle();
      await new Promise((r) => setTimeout(r, 500)); // what is left plays out
    }
  } finally {
    await kit.close();
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
