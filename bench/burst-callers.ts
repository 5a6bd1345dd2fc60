/**
 * Callers of one process whose utterances end on the same tick, for the benches of the turn
 * path (turn-burst, reply-heap): the voice bench's pipeline and mocks on a socketless stand-in
 * for the WebSocket transport, each caller in a room of their own with the mock AI.
 */
import { AIChannel, ChannelCategory, RoomKit } from '../src/index.js';
import { silentLogger } from '../src/core/logger.js';
import { MockAIProvider } from '../src/testing/index.js';
import { WEBSOCKET_PACING } from '../src/voice/backends/websocket-voice-base.js';
import { type AudioFrame, MockVoiceBackend, VoiceChannel, type VoiceSession } from '../src/voice/index.js';
import { createVoice } from './voice-mock-voice.js';
import { REPLY_TEXT, SILENCE_MS } from './voice-traffic.js';

/**
 * The WebSocket transport without its socket: paced as it is (`WEBSOCKET_PACING`) and
 * sending nowhere. The mock's own sending copied and kept every frame for tests to read
 * (a fifth of a burst's CPU, and garbage the framework did not make).
 */
class DiscardingVoiceBackend extends MockVoiceBackend {
  override readonly pacing = WEBSOCKET_PACING;
  override sendPacedFrame(_session: VoiceSession, _frame: AudioFrame): void {}
}

const tone = (amplitude: number): AudioFrame => ({
  data: new Int16Array(320).map((_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000))),
  sampleRate: 16000,
  channels: 1,
});

export interface BurstCallers {
  kit: RoomKit;
  /** Every caller speaks 200 ms, then stays quiet up to the frame that would end the utterance. */
  speakAlmostToTheEnd(): Promise<void>;
  /** The quiet frame that ends every caller's utterance, on this tick. */
  endUtterances(): Promise<void>;
  /** One loud frame from every caller (talking over a reply interrupts it). */
  talk(): Promise<void>;
  /** Resolves once every caller's reply has sent its first frame since `endUtterances`. */
  repliesStarted(timeoutMs?: number): Promise<void>;
}

export async function burstCallers(callers: number): Promise<BurstCallers> {
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
  const loud = tone(5000);
  const quiet = tone(30);
  const everyone = async (frame: AudioFrame) => {
    for (const s of sessions) await backend.simulateAudioReceived(s, frame);
  };
  let firstFrames = 0;
  kit.on('metric', (m) => {
    if (m.name === 'voice.user_stop_to_first_frame_sent') firstFrames++;
  });
  return {
    kit,
    async speakAlmostToTheEnd() {
      for (let k = 0; k < 10; k++) await everyone(loud);
      for (let k = 0; k < Math.ceil(SILENCE_MS / 20) - 1; k++) await everyone(quiet);
    },
    async endUtterances() {
      firstFrames = 0;
      await everyone(quiet);
    },
    talk: () => everyone(loud),
    async repliesStarted(timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      while (firstFrames < callers && performance.now() < deadline) await new Promise((r) => setImmediate(r));
      if (firstFrames < callers) throw new Error(`only ${firstFrames} of ${callers} replies started`);
    },
  };
}
