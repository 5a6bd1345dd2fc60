import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import {
  AudioPipeline,
  type DiarizationResult,
  EnergyVADProvider,
  MfccDiarizationProvider,
  MockVoiceBackend,
  PrimarySpeakerGate,
  VoiceChannel,
  type VoiceSession,
} from '../../../src/voice/index.js';
import { silent, until } from '../channel/helpers.js';
import { SpeechCache } from '../echo/speech-fixtures.js';
import { conversation } from './conversation.js';

const speech = new SpeechCache();
afterAll(() => speech.dispose());

const kits: RoomKit[] = [];
afterEach(async () => {
  for (const kit of kits.splice(0)) await kit.close();
});

/** A VoiceChannel over the mock backend with VAD + diarization, and the caller's audio fed in real frames. */
async function call(opts: { primarySpeakerMode: boolean }) {
  const kit = new RoomKit({ logger: silent });
  kits.push(kit);
  const backend = new MockVoiceBackend({ playbackRealtime: false });
  const stt = new MockSTTProvider({ transcripts: ['one', 'two', 'three', 'four', 'five', 'six'] });
  const voice = new VoiceChannel('phone', {
    stt,
    tts: new MockTTSProvider(),
    backend,
    pipeline: {
      vad: new EnergyVADProvider({ threshold: 200, minSpeechMs: 60, silenceMs: 400 }),
      diarization: new MfccDiarizationProvider(),
    },
    primarySpeakerMode: opts.primarySpeakerMode,
  });
  kit.registerChannel(voice);
  await kit.createRoom({ roomId: 'call' });
  const session = await kit.connectVoice('call', 'caller', 'phone');
  const changes: DiarizationResult[] = [];
  backend.onSpeakerChange((s, r) => {
    if (s.id === session.id) changes.push(r);
  });
  const kitEvents: unknown[] = [];
  kit.on('speaker_change', (e) => kitEvents.push(e));
  return { kit, backend, stt, voice, session, changes, kitEvents };
}

async function feed(backend: MockVoiceBackend, session: VoiceSession, pcm: Int16Array, gated?: boolean[]) {
  for (let i = 0; i + 320 <= pcm.length; i += 320) {
    await backend.simulateAudioReceived(session, {
      data: pcm.slice(i, i + 320),
      sampleRate: 16000,
      channels: 1,
    });
    gated?.push(backend.isInputGated(session));
  }
}

describe('speaker change in a VoiceChannel (rms and slt taking turns, 800 ms apart)', () => {
  it('onSpeakerChange fires on the backend for each turn, and the kit emits speaker_change', async () => {
    const { backend, session, changes, kitEvents } = await call({ primarySpeakerMode: false });
    const conv = await conversation(speech, 'rms', 'slt', 800);
    await feed(backend, session, conv.pcm);
    expect(changes.map((c) => c.speakerId)).toEqual([
      'speaker_1',
      'speaker_2',
      'speaker_1',
      'speaker_2',
      'speaker_1',
      'speaker_2',
    ]);
    expect(kitEvents).toHaveLength(6);
    expect(kitEvents[1]).toMatchObject({ channelId: 'phone', result: { speakerId: 'speaker_2' } });
    expect(backend.isInputGated(session)).toBe(false); // nothing gates without primary-speaker mode
  });

  it('without primary-speaker mode every utterance is transcribed', async () => {
    const { backend, session, stt } = await call({ primarySpeakerMode: false });
    const conv = await conversation(speech, 'rms', 'slt', 800);
    await feed(backend, session, conv.pcm);
    await until(() => expect(stt.calls.filter((c) => c.method === 'transcribe')).toHaveLength(6));
  });

  it('primary-speaker mode: only the first voice reaches STT; the other is gated while it talks', async () => {
    const { backend, session, stt, changes, voice } = await call({ primarySpeakerMode: true });
    const conv = await conversation(speech, 'rms', 'slt', 800);
    const gated: boolean[] = [];
    await feed(backend, session, conv.pcm, gated);
    expect(changes).toHaveLength(6);
    expect(voice.primarySpeaker?.primaryOf(session)).toBe('speaker_1');
    // Gated through most of each slt turn, open through each rms turn.
    const share = (turn: number) => {
      const { onsetMs, endMs } = conv.turns[turn];
      const slice = gated.slice(Math.ceil(onsetMs / 20), Math.floor(endMs / 20));
      return slice.filter(Boolean).length / slice.length;
    };
    for (const turn of [1, 3, 5]) expect(share(turn)).toBeGreaterThan(0.7);
    for (const turn of [2, 4]) expect(share(turn)).toBeLessThan(0.3);
    // STT heard exactly the three rms utterances, each about as long as the sentence.
    await until(() => expect(stt.calls.filter((c) => c.method === 'transcribe')).toHaveLength(3));
    await new Promise((r) => setTimeout(r, 100));
    const heard = stt.calls.filter((c) => c.method === 'transcribe');
    expect(heard).toHaveLength(3);
    heard.forEach((c, i) => {
      const turn = conv.turns[2 * i];
      const ms = c.method === 'transcribe' ? (c.samples / c.sampleRate) * 1000 : 0;
      expect(ms).toBeGreaterThan(turn.endMs - turn.onsetMs - 200);
      expect(ms).toBeLessThan(turn.endMs - turn.onsetMs + 1200);
    });
  });
});

describe('PrimarySpeakerGate', () => {
  it('gates every speaker but the configured one, per session, and opens all on close', async () => {
    const backend = new MockVoiceBackend();
    const a = await backend.connect('room', 'a', 'voice');
    const b = await backend.connect('room', 'b', 'voice');
    const gate = new PrimarySpeakerGate(backend, { speakerId: 'speaker_2' });
    await backend.simulateSpeakerChange(a, { speakerId: 'speaker_1', confidence: 1, isNewSpeaker: true });
    await backend.simulateSpeakerChange(b, { speakerId: 'speaker_2', confidence: 1, isNewSpeaker: true });
    expect(backend.isInputGated(a)).toBe(true);
    expect(backend.isInputGated(b)).toBe(false);
    await backend.simulateSpeakerChange(a, { speakerId: 'speaker_2', confidence: 0.8, isNewSpeaker: true });
    expect(backend.isInputGated(a)).toBe(false);
    await backend.simulateSpeakerChange(b, { speakerId: 'speaker_3', confidence: 1, isNewSpeaker: true });
    expect(backend.isInputGated(b)).toBe(true);
    gate.close();
    expect(backend.isInputGated(b)).toBe(false);
    await backend.simulateSpeakerChange(a, { speakerId: 'speaker_9', confidence: 1, isNewSpeaker: true });
    expect(backend.isInputGated(a)).toBe(false);
  });
});

describe('AudioPipeline with a diarization stage', () => {
  it('emits speakerChange per session, after the VAD, and reports the current speaker', async () => {
    const pipeline = new AudioPipeline({ diarization: new MfccDiarizationProvider() });
    const session = await pipeline.createSession('call');
    const seen: { sessionId: string; speakerId: string }[] = [];
    pipeline.on('speakerChange', (e) => seen.push({ sessionId: e.sessionId, speakerId: e.result.speakerId }));
    const conv = await conversation(speech, 'kal', 'slt', 300);
    for (let i = 0; i + 320 <= conv.pcm.length; i += 320) {
      session.processInbound({ data: conv.pcm.subarray(i, i + 320), sampleRate: 16000, channels: 1 });
    }
    expect(seen.map((s) => s.speakerId)).toEqual([
      'speaker_1',
      'speaker_2',
      'speaker_1',
      'speaker_2',
      'speaker_1',
      'speaker_2',
    ]);
    expect(seen.every((s) => s.sessionId === 'call')).toBe(true);
    expect(session.currentSpeaker).toBe('speaker_2');
    session.close();
  });
});
