import { vi } from 'vitest';
import { AIChannel, Access, ChannelCategory, HookTrigger, RoomKit } from '../../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import {
  type AudioFrame,
  EnergyVADProvider,
  type InterruptionConfig,
  MockVoiceBackend,
  VoiceChannel,
  type VoiceSession,
} from '../../../src/voice/index.js';
import { RecordingChannel } from '../../helpers/channels.js';
import { silentLogger } from '../../../src/core/logger.js';

export const silent = silentLogger;

/** 20 ms at 16 kHz: a voiced tone well above the energy threshold, or near-silence. */
export function speechFrame(amplitude = 6000): AudioFrame {
  const data = new Int16Array(320);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000));
  return { data, sampleRate: 16000, channels: 1 };
}

export const quietFrame = () => speechFrame(40);

export async function say(
  backend: MockVoiceBackend,
  session: VoiceSession,
  speechFrames: number,
  silenceFrames = 20,
) {
  for (let i = 0; i < speechFrames; i++) await backend.simulateAudioReceived(session, speechFrame());
  for (let i = 0; i < silenceFrames; i++) await backend.simulateAudioReceived(session, quietFrame());
}

export interface VoiceRig {
  kit: RoomKit;
  backend: MockVoiceBackend;
  voice: VoiceChannel;
  stt: MockSTTProvider;
  tts: MockTTSProvider;
  ai: MockAIProvider;
  text: RecordingChannel;
  session: VoiceSession;
  trace: string[];
}

export async function voiceRig(
  opts: {
    transcripts?: string[];
    replies?: string[];
    streamingAi?: boolean;
    streamingStt?: boolean;
    interruption?: InterruptionConfig;
    msPerChar?: number;
  } = {},
): Promise<VoiceRig> {
  const kit = new RoomKit({ logger: silent });
  const backend = new MockVoiceBackend({ playbackRealtime: false });
  const stt = new MockSTTProvider({
    transcripts: opts.transcripts ?? ['what is the weather'],
    streaming: opts.streamingStt ?? false,
    framesPerTranscript: opts.streamingStt ? 15 : undefined,
  });
  const tts = new MockTTSProvider({ msPerChar: opts.msPerChar ?? 10 });
  const ai = new MockAIProvider({
    responses: opts.replies ?? ['It is sunny.'],
    streaming: opts.streamingAi ?? false,
  });
  const voice = new VoiceChannel('phone', {
    stt,
    tts,
    backend,
    pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
    interruption: opts.interruption,
  });
  const text = new RecordingChannel('web');
  kit.registerChannel(voice);
  kit.registerChannel(text);
  kit.registerChannel(new AIChannel('ai', { provider: ai }));
  await kit.createRoom({ roomId: 'call' });
  await kit.attachChannel('call', 'web', { access: Access.READ_WRITE });
  await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
  const trace: string[] = [];
  for (const t of [
    HookTrigger.ON_SESSION_STARTED,
    HookTrigger.ON_SPEECH_START,
    HookTrigger.ON_SPEECH_END,
    HookTrigger.ON_TRANSCRIPTION,
    HookTrigger.BEFORE_TTS,
    HookTrigger.AFTER_TTS,
    HookTrigger.ON_TURN_COMPLETE,
    HookTrigger.ON_BARGE_IN,
    HookTrigger.ON_TTS_CANCELLED,
  ]) {
    kit.hook(t, () => void trace.push(t), { name: `trace-${t}`, priority: 100 });
  }
  const session = await kit.connectVoice('call', 'caller', 'phone');
  return { kit, backend, voice, stt, tts, ai, text, session, trace };
}

export async function until(check: () => void, timeout = 5000): Promise<void> {
  await vi.waitFor(check, { timeout, interval: 10 });
}
