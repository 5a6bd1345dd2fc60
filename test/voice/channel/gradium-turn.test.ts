import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, HookTrigger, RoomKit } from '../../../src/index.js';
import { GradiumSTTProvider, GradiumTTSProvider } from '../../../src/providers/gradium/index.js';
import {
  FakeGradiumSTTServer,
  FakeGradiumTTSServer,
  MockAIProvider,
  renderSpeech,
  speechFrames,
} from '../../../src/testing/index.js';
import { MockVoiceBackend, VoiceChannel } from '../../../src/voice/index.js';
import type { BargeInEvent } from '../../../src/voice/voice-hooks.js';
import { RecordingChannel } from '../../helpers/channels.js';
import { silent, until } from './helpers.js';

const speech = renderSpeech([{ text: 'please book a table for two tonight' }], { sampleRate: 16_000 });
let sttFake: FakeGradiumSTTServer;
let ttsFake: FakeGradiumTTSServer;
let kit: RoomKit | undefined;

beforeAll(async () => {
  sttFake = await new FakeGradiumSTTServer({ vocabulary: speech.vocabulary }).start();
  ttsFake = await new FakeGradiumTTSServer().start();
});
afterAll(async () => {
  await sttFake.close();
  await ttsFake.close();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

async function gradiumRoom(replies: string[], streaming: boolean) {
  kit = new RoomKit({ logger: silent });
  const backend = new MockVoiceBackend({ playbackRealtime: true });
  const voice = new VoiceChannel('phone', {
    stt: new GradiumSTTProvider({ apiKey: 'test-key', endpoint: sttFake.endpoint }),
    tts: new GradiumTTSProvider({ apiKey: 'test-key', endpoint: ttsFake.endpoint }),
    backend,
  });
  const web = new RecordingChannel('web');
  kit.registerChannel(voice);
  kit.registerChannel(web);
  kit.registerChannel(
    new AIChannel('ai', { provider: new MockAIProvider({ responses: replies, streaming }) }),
  );
  await kit.createRoom({ roomId: 'call' });
  await kit.attachChannel('call', 'web');
  await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
  const session = await kit.connectVoice('call', 'caller', 'phone');
  return { kit, backend, voice, web, session };
}

describe('VoiceChannel with Gradium STT and TTS (fake servers)', () => {
  it('a full turn: semantic end of turn -> transcript in the room -> AI -> Gradium TTS audio at the transport', async () => {
    const r = await gradiumRoom(['A table for two tonight is booked.'], false);
    expect(r.voice.turnTaking).toBe('stt');
    for (const frame of speechFrames(speech)) await r.backend.simulateAudioReceived(r.session, frame);
    await until(() => expect(r.web.texts()[0]).toBe('please book a table for two tonight'), 10_000);
    await until(() => expect(r.backend.callsOf('endOfResponse', r.session)).toHaveLength(1), 10_000);
    expect(r.web.texts()[1]).toBe('A table for two tonight is booked.');
    // The fake voices 0.24 s per word at 48 kHz: 7 words are 1.68 s. Read as 16 kHz PCM the
    // transport got the same duration, so the pipeline resampled it (unresampled would be 3x).
    const sentSeconds = r.backend.sentBytes(r.session).byteLength / 2 / 16_000;
    expect(sentSeconds).toBeGreaterThan(1.6);
    expect(sentSeconds).toBeLessThan(1.8);
  });

  it('barge-in stops Gradium TTS audio at once', async () => {
    const long =
      'Here is a rather long answer that keeps going for quite a while so there is time to interrupt it properly.';
    // The AI stays silent after the interruption, so every frame counted below is the old reply's.
    const r = await gradiumRoom([long, ''], true);
    const events: BargeInEvent[] = [];
    let sentAtBargeIn = -1;
    r.kit.hook(HookTrigger.ON_BARGE_IN, (p: BargeInEvent) => {
      events.push(p);
      sentAtBargeIn = r.backend.callsOf('sendAudio', r.session).length;
    });
    for (const frame of speechFrames(speech)) await r.backend.simulateAudioReceived(r.session, frame);
    await until(() => expect(r.backend.callsOf('sendAudio', r.session).length).toBeGreaterThan(5), 10_000);
    // The caller starts talking again: Gradium's speech-start (or the partials) triggers barge-in.
    const again = renderSpeech([{ text: 'wait stop' }], { sampleRate: 16_000 });
    for (const frame of speechFrames(again)) await r.backend.simulateAudioReceived(r.session, frame);
    await until(() => expect(events).toHaveLength(1), 10_000);
    expect(r.backend.callsOf('interrupt', r.session).length).toBeGreaterThanOrEqual(1);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.backend.callsOf('sendAudio', r.session).length - sentAtBargeIn).toBeLessThanOrEqual(1);
    expect(events[0]!.audioPositionMs).toBeGreaterThan(0);
  });
});
