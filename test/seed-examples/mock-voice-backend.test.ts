import { describe, expect, it } from 'vitest';
// The seed's `roomkit.voice.backends.mock` and the voice types are both `roomkit/voice`.
import { type AudioFrame, bytesToInt16, createAudioFrame, MockVoiceBackend } from '../../src/voice/index.js';

describe('seed 004: the MockVoiceBackend example', () => {
  it('runs as the seed writes it', async () => {
    const backend = new MockVoiceBackend();

    // Track calls
    const session = await backend.connect('room-1', 'user-1', 'voice-1');
    expect(backend.calls.at(-1)!.method).toBe('connect');

    // Simulate raw audio received (`AudioFrame(data=b"audio-data")`: PCM bytes, 16 kHz mono)
    const received: AudioFrame[] = [];
    backend.onAudioReceived((_s, f) => received.push(f));
    const frame = createAudioFrame(bytesToInt16(new TextEncoder().encode('audio-data')), 16000);
    await backend.simulateAudioReceived(session, frame);

    // Simulate barge-in
    const bargeIns: string[] = [];
    backend.onBargeIn((s) => bargeIns.push(s.id));
    await backend.simulateBargeIn(session);

    expect(received).toEqual([frame]);
    expect(bargeIns).toEqual([session.id]);
  });

  it('the rest of the seed mock: capabilities, playing flags, ready and disconnect signals, MockVoiceCall', async () => {
    const backend = new MockVoiceBackend();
    expect(backend.capabilities).toBe(0); // VoiceCapability.NONE
    const ready: string[] = [];
    const gone: string[] = [];
    backend.onSessionReady((s) => ready.push(s.id));
    backend.onClientDisconnected((s) => gone.push(s.id));
    const session = await backend.connect('room-1', 'user-1', 'voice-1', { metadata: { lang: 'fr' } });
    // As the seed's mock: the session is live as soon as connect returns.
    expect(session.state).toBe('active');
    expect(ready).toEqual([session.id]);
    expect(backend.calls[0]).toMatchObject({
      method: 'connect',
      args: { roomId: 'room-1', participantId: 'user-1', channelId: 'voice-1', metadata: { lang: 'fr' } },
    });

    backend.startPlaying(session);
    expect(backend.isPlaying(session)).toBe(true);
    backend.stopPlaying(session);
    expect(backend.isPlaying(session)).toBe(false);

    await backend.simulateSessionReady(session);
    expect(ready).toEqual([session.id, session.id]);
    await backend.simulateClientDisconnected(session);
    expect(gone).toEqual([session.id]);
    expect(session.state).toBe('ended');
  });
});
