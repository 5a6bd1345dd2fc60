import { afterEach, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, RoomKit, WebSocketChannel } from '../../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../../../src/voice/index.js';
import { connectClient, type TestClient } from '../../helpers/ws-client.js';
import { silent, until } from './helpers.js';

let kit: RoomKit | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  await client?.close();
  await kit?.close();
  kit = undefined;
  client = undefined;
});

function stereo48k(amplitude: number): { data: Int16Array; sampleRate: number; channels: number } {
  const data = new Int16Array(960 * 2);
  for (let i = 0; i < 960; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 48000));
    data[2 * i] = v;
    data[2 * i + 1] = v;
  }
  return { data, sampleRate: 48000, channels: 2 };
}

async function voiceRoom(backend: MockVoiceBackend, stt: MockSTTProvider, tts: MockTTSProvider) {
  kit = new RoomKit({ logger: silent });
  const voice = new VoiceChannel('phone', {
    stt,
    tts,
    backend,
    pipeline: { vad: new EnergyVADProvider({ minSpeechMs: 60, silenceMs: 200 }) },
  });
  kit.registerChannel(voice);
  kit.registerChannel(
    new AIChannel('ai', { provider: new MockAIProvider({ responses: ['Noted, thanks.'] }) }),
  );
  await kit.createRoom({ roomId: 'call' });
  await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
  return kit;
}

describe('VoiceChannel rates', () => {
  it('48 kHz stereo in becomes 16 kHz mono for STT; 16 kHz TTS goes back out at 48 kHz', async () => {
    const backend = new MockVoiceBackend({ sampleRate: 48000, playbackRealtime: false });
    const stt = new MockSTTProvider({ transcripts: ['hello'], streaming: false });
    const tts = new MockTTSProvider({ sampleRate: 16000 });
    const k = await voiceRoom(backend, stt, tts);
    const session = await k.connectVoice('call', 'caller', 'phone');
    for (let i = 0; i < 12; i++) await backend.simulateAudioReceived(session, stereo48k(6000));
    for (let i = 0; i < 20; i++) await backend.simulateAudioReceived(session, stereo48k(30));
    await until(() => expect(backend.callsOf('endOfResponse', session)).toHaveLength(1));
    expect(stt.calls[0]).toMatchObject({ method: 'transcribe', sampleRate: 16000 });
    // Mono 16 kHz: 20 ms frames are 320 samples, so the utterance is a whole number of them.
    expect((stt.calls[0] as { samples: number }).samples % 320).toBe(0);
    const ttsSamples = tts.calls[0]!.chunks * 320;
    const sentSamples = backend.sentBytes(session).byteLength / 2;
    // Resampled 16 kHz -> 48 kHz: three times the samples (within the resampler's filter delay).
    expect(Math.abs(sentSamples - 3 * ttsSamples)).toBeLessThan(200);
  });
});

describe('VoiceChannel in a multi-channel room', () => {
  it('a WebSocket client watching the room sees the transcript and the reply', async () => {
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    const k = await voiceRoom(
      backend,
      new MockSTTProvider({ transcripts: ['i would like a refund'], streaming: false }),
      new MockTTSProvider(),
    );
    const web = new WebSocketChannel('web', { authenticate: () => ({ userId: 'agent-supervisor' }) });
    k.registerChannel(web);
    const port = await web.listen(0);
    await k.attachChannel('call', 'web');
    client = await connectClient(`ws://127.0.0.1:${port}/ws`);
    await client.next('ready');
    client.send({ type: 'join', roomId: 'call' });
    await client.next('joined');
    const session = await k.connectVoice('call', 'caller', 'phone');
    const loud = new Int16Array(320).map((_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 16000)),
    );
    for (let i = 0; i < 12; i++)
      await backend.simulateAudioReceived(session, { data: loud, sampleRate: 16000, channels: 1 });
    for (let i = 0; i < 20; i++)
      await backend.simulateAudioReceived(session, {
        data: new Int16Array(320),
        sampleRate: 16000,
        channels: 1,
      });
    const said = await client.next((f) => f.type === 'event' && f.event.source.channelId === 'phone');
    expect(said.event.content.body).toBe('i would like a refund');
    expect(said.event.source.participantId).toBe('caller');
    const reply = await client.next((f) => f.type === 'event' && f.event.source.channelId === 'ai');
    expect(reply.event.content.body).toBe('Noted, thanks.');
  });
});

describe('VoiceChannel with calls in several rooms', () => {
  it('speaks a room’s reply to that room’s calls only, and forgets calls that ended', async () => {
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    const tts = new MockTTSProvider();
    const k = await voiceRoom(backend, new MockSTTProvider({ transcripts: ['hi'], streaming: false }), tts);
    await k.createRoom({ roomId: 'other' });
    await k.attachChannel('other', 'ai', { category: ChannelCategory.INTELLIGENCE });
    const voice = k.getChannel('phone') as VoiceChannel;
    const here = await k.connectVoice('call', 'caller', 'phone');
    const there = await k.connectVoice('other', 'someone', 'phone');
    const second = await k.connectVoice('other', 'listener', 'phone');
    expect(voice.sessionsIn('call').map((rt) => rt.session.id)).toEqual([here.id]);
    expect(voice.sessionsIn('other').map((rt) => rt.session.id)).toEqual([there.id, second.id]);

    // Text posted into `other` is spoken to its two calls, not to the call in `call`.
    await k.sendEvent('other', 'ai', { type: 'text', body: 'Hello over there.' });
    await until(() => expect(backend.callsOf('endOfResponse', second)).toHaveLength(1));
    expect(backend.callsOf('endOfResponse', there)).toHaveLength(1);
    expect(backend.sentBytes(here).byteLength).toBe(0);
    expect(tts.calls.map((c) => c.text)).toEqual(['Hello over there.', 'Hello over there.']);

    await voice.endSession(there);
    expect(voice.sessionsIn('other').map((rt) => rt.session.id)).toEqual([second.id]);
    await voice.endSession(second);
    expect(voice.sessionsIn('other')).toEqual([]);
  });
});
