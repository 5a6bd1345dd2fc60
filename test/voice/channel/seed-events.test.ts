import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, HookTrigger, RoomKit } from '../../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import {
  EnergyVADProvider,
  MockVoiceBackend,
  type ProtocolTrace,
  type STTProvider,
  VoiceChannel,
  WavFileRecorder,
} from '../../../src/voice/index.js';
import type {
  PartialTranscriptionEvent,
  RecordingStoppedEvent,
  SpeakerChangeEvent,
  TTSCancelledEvent,
  VADAudioLevelEvent,
  VADSilenceEvent,
  VoiceErrorEvent,
} from '../../../src/voice/voice-hooks.js';
import { RecordingChannel } from '../../helpers/channels.js';
import { say, silent, until, type VoiceRig, voiceRig } from './helpers.js';

let rig: VoiceRig | undefined;
let kit: RoomKit | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.kit.close();
  await kit?.close();
  rig = undefined;
  kit = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const LONG = 'A reply long enough to still be playing when the test cuts it off, at ten ms a letter.';

/** A room with the voice channel 'phone' over a mock backend, the seed's default mocks unless given. */
async function room(opts: { stt?: STTProvider; backend?: MockVoiceBackend; recorderDir?: string } = {}) {
  kit = new RoomKit({ logger: silent });
  const backend = opts.backend ?? new MockVoiceBackend({ playbackRealtime: false });
  const voice = new VoiceChannel('phone', {
    stt: opts.stt ?? new MockSTTProvider({ transcripts: ['what is the weather'] }),
    tts: new MockTTSProvider(),
    backend,
    pipeline: {
      vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }),
      recorder: opts.recorderDir ? new WavFileRecorder({ directory: opts.recorderDir }) : undefined,
    },
  });
  const web = new RecordingChannel('web');
  kit.registerChannel(voice);
  kit.registerChannel(web);
  kit.registerChannel(new AIChannel('ai', { provider: new MockAIProvider({ responses: ['It is sunny.'] }) }));
  await kit.createRoom({ roomId: 'call' });
  await kit.attachChannel('call', 'web');
  await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
  return { kit, backend, voice, web };
}

describe('the seed mocks over a live call', () => {
  it('default MockSTTProvider (non-streaming) and MockVoiceBackend: a turn ends during the call, ON_SESSION_STARTED once', async () => {
    const stt = new MockSTTProvider({ transcripts: ['what is the weather'] });
    expect(stt.supportsStreaming).toBe(false);
    const r = await room({ stt });
    const started: string[] = [];
    r.kit.hook(HookTrigger.ON_SESSION_STARTED, (p) => void started.push(p.session.id));
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    expect(session.state).toBe('active');
    expect(r.voice.turnTaking).toBe('vad');
    await say(r.backend, session, 12);
    await until(() => expect(r.web.texts()).toEqual(['what is the weather', 'It is sunny.']));
    await r.kit.waitForIdle();
    expect(started).toEqual([session.id]);
  });

  it('a streaming MockSTTProvider ends each turn on silence while the call goes on', async () => {
    const stt = new MockSTTProvider({ transcripts: ['first question', 'second question'], streaming: true });
    const r = await room({ stt });
    expect(r.voice.turnTaking).toBe('stt');
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    await say(r.backend, session, 12, 20);
    await until(() => expect(r.web.texts().slice(0, 2)).toEqual(['first question', 'It is sunny.']));
    await say(r.backend, session, 12, 20);
    await until(() => expect(r.web.texts()).toContain('second question'));
    expect(stt.calls).toHaveLength(1); // one stream for the whole call
  });

  it("takes the providers by the seed's names too (sttProvider, ttsProvider); a missing one is a typed error", async () => {
    const stt = new MockSTTProvider({ transcripts: ['bonjour'] });
    const tts = new MockTTSProvider();
    const voice = new VoiceChannel('phone', {
      sttProvider: stt,
      ttsProvider: tts,
      backend: new MockVoiceBackend(),
    });
    expect(voice.stt).toBe(stt);
    expect(voice.tts).toBe(tts);
    expect(() => new VoiceChannel('phone', { tts, backend: new MockVoiceBackend() } as never)).toThrow(
      expect.objectContaining({ code: 'validation_error', field: 'stt' }),
    );
  });

  it('readyOnConnect: false keeps the session connecting until the transport says it is live', async () => {
    const r = await room({
      backend: new MockVoiceBackend({ playbackRealtime: false, readyOnConnect: false }),
    });
    const started: string[] = [];
    r.kit.hook(HookTrigger.ON_SESSION_STARTED, (p) => void started.push(p.session.id));
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    await r.kit.waitForIdle();
    expect(session.state).toBe('connecting');
    expect(started).toEqual([]);
    await r.backend.simulateSessionReady(session);
    await until(() => expect(started).toEqual([session.id]));
  });
});

describe('voice events carry the seed fields', () => {
  it('ON_TTS_CANCELLED says why: explicit interrupt and disconnect, with text and position', async () => {
    rig = await voiceRig({ replies: [LONG] });
    const r = rig;
    const cancelled: TTSCancelledEvent[] = [];
    r.kit.hook(HookTrigger.ON_TTS_CANCELLED, (p: TTSCancelledEvent) => void cancelled.push(p));
    expect(r.voice.interrupt(r.session)).toBe(false); // nothing playing: nothing to cancel
    await say(r.backend, r.session, 12);
    await until(() => expect(r.backend.callsOf('sendAudio', r.session).length).toBeGreaterThan(3));
    expect(r.voice.interrupt(r.session)).toBe(true);
    await until(() => expect(cancelled).toHaveLength(1));
    expect(cancelled[0]).toMatchObject({ session: r.session, reason: 'explicit', text: LONG });
    expect(cancelled[0]!.audioPositionMs).toBeGreaterThan(0);
    expect(Date.parse(cancelled[0]!.timestamp)).not.toBeNaN();

    // Talking again, then the call ends mid-reply.
    await say(r.backend, r.session, 12);
    await until(() => expect(r.voice.getRuntime(r.session.id)?.isSpeaking).toBe(true));
    await r.voice.endSession(r.session);
    await until(() => expect(cancelled).toHaveLength(2));
    expect(cancelled[1]).toMatchObject({ reason: 'disconnect', text: LONG });
  });

  it('partial transcriptions and audio levels carry confidence, isStable, timestamp', async () => {
    rig = await voiceRig({ transcripts: ['one two three'], streamingStt: true });
    const partials: PartialTranscriptionEvent[] = [];
    const levels: VADAudioLevelEvent[] = [];
    rig.kit.hook(
      HookTrigger.ON_PARTIAL_TRANSCRIPTION,
      (p: PartialTranscriptionEvent) => void partials.push(p),
    );
    rig.kit.hook(HookTrigger.ON_INPUT_AUDIO_LEVEL, (p: VADAudioLevelEvent) => void levels.push(p));
    await say(rig.backend, rig.session, 12);
    await until(() => expect(partials.slice(0, 2).map((p) => p.text)).toEqual(['one', 'one two']));
    expect(partials[0]).toMatchObject({ session: rig.session, confidence: 0, isStable: false });
    expect(Date.parse(partials[0]!.timestamp)).not.toBeNaN();
    await until(() => expect(levels.length).toBeGreaterThan(0));
    expect(levels.some((l) => l.isSpeech)).toBe(true);
    expect(typeof levels[0]!.levelDb).toBe('number');
    expect(Date.parse(levels[0]!.timestamp)).not.toBeNaN();
  });
});

describe('hook triggers that fire', () => {
  it('ON_RECORDING_STARTED when the session binds, ON_RECORDING_STOPPED with the file when it ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomkit-rec-'));
    dirs.push(dir);
    const r = await room({ recorderDir: dir });
    const seen: string[] = [];
    let stopped: RecordingStoppedEvent | undefined;
    r.kit.hook(HookTrigger.ON_RECORDING_STARTED, (p) => void seen.push(`started:${p.recorder}`));
    r.kit.hook(HookTrigger.ON_RECORDING_STOPPED, (p: RecordingStoppedEvent) => {
      seen.push('stopped');
      stopped = p;
    });
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    await say(r.backend, session, 10, 5);
    await r.kit.disconnectVoice(session);
    await r.kit.waitForIdle();
    expect(seen).toEqual(['started:wav-recorder', 'stopped']);
    expect(stopped!.session.id).toBe(session.id);
    expect(stopped!.recording.durationSeconds).toBeGreaterThan(0.2);
    expect(statSync(stopped!.recording.path).size).toBe(stopped!.recording.sizeBytes);
  });

  it('ON_VAD_SILENCE with the silence that ended the utterance, before ON_SPEECH_END', async () => {
    const r = await room();
    const order: string[] = [];
    const silences: VADSilenceEvent[] = [];
    r.kit.hook(HookTrigger.ON_VAD_SILENCE, (p: VADSilenceEvent) => {
      order.push('silence');
      silences.push(p);
    });
    r.kit.hook(HookTrigger.ON_SPEECH_END, () => void order.push('speech_end'));
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    await say(r.backend, session, 12, 15); // 300 ms of quiet; the VAD ends speech after 200 ms
    await r.kit.waitForIdle();
    expect(order).toEqual(['silence', 'speech_end']);
    expect(silences[0]).toMatchObject({ session, silenceDurationMs: 200 });
    expect(Date.parse(silences[0]!.timestamp)).not.toBeNaN();
  });

  it('ON_ERROR when a provider fails, with the stage and the message (the call goes on)', async () => {
    const failing: STTProvider = {
      name: 'broken-stt',
      capabilities: { streaming: false, partials: false, turnDetection: false },
      transcribe: async () => {
        throw new Error('stt backend unreachable');
      },
      transcribeStream: () => {
        throw new Error('not used');
      },
    };
    const r = await room({ stt: failing });
    const errors: VoiceErrorEvent[] = [];
    r.kit.hook(HookTrigger.ON_ERROR, (p: VoiceErrorEvent) => void errors.push(p));
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    await say(r.backend, session, 12);
    await until(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({
      session,
      channelId: 'phone',
      stage: 'stt',
      message: 'stt backend unreachable',
    });
    expect(session.state).toBe('active');
  });
});

describe('VoiceBackend additions through the channel', () => {
  it('setInputGated: gated speech is analysed but never becomes a turn; un-gated it does', async () => {
    rig = await voiceRig({ transcripts: ['primary speaker'] });
    const r = rig;
    const speechStarts: string[] = [];
    r.kit.hook(HookTrigger.ON_SPEECH_START, (p) => void speechStarts.push(p.session.id));
    r.backend.setInputGated(r.session, true);
    expect(r.backend.isInputGated(r.session)).toBe(true);
    await say(r.backend, r.session, 12);
    await r.kit.waitForIdle();
    await new Promise((res) => setTimeout(res, 50));
    expect(r.stt.calls).toHaveLength(0);
    expect(r.text.texts()).toEqual([]);
    expect(speechStarts).toEqual([]);
    r.backend.setInputGated(r.session, false);
    await say(r.backend, r.session, 12);
    await until(() => expect(r.text.texts()[0]).toBe('primary speaker'));
  });

  it('onSpeakerChange reaches the kit as a speaker_change event', async () => {
    rig = await voiceRig();
    const changes: SpeakerChangeEvent[] = [];
    rig.kit.on('speaker_change', (e) => void changes.push(e as SpeakerChangeEvent));
    const result = { speakerId: 'spk-2', confidence: 0.9, isNewSpeaker: true };
    await rig.backend.simulateSpeakerChange(rig.session, result);
    expect(changes).toEqual([expect.objectContaining({ session: rig.session, channelId: 'phone', result })]);
  });

  it('onTrace hands the backend an emitter while someone observes, and takes it back', async () => {
    const r = await room();
    const traces: ProtocolTrace[] = [];
    const off = r.voice.onTrace((t) => traces.push(t), { protocols: ['mock'] });
    const session = await r.kit.connectVoice('call', 'caller', 'phone');
    expect(traces.map((t) => t.summary)).toEqual(['connect', 'session ready']);
    expect(traces[0]).toMatchObject({ protocol: 'mock', channelId: 'phone', sessionId: session.id });
    const other: ProtocolTrace[] = [];
    const offOther = r.voice.onTrace((t) => other.push(t), { protocols: ['sip'] });
    off();
    await r.kit.disconnectVoice(session);
    expect(traces).toHaveLength(2); // unsubscribed
    expect(other).toEqual([]); // filtered out by protocol
    offOther();
    // No observers left: the backend has no emitter (traces are not even built).
    expect((r.backend as unknown as { traceEmitter?: unknown }).traceEmitter).toBeUndefined();
  });
});
