import { describe, expect, it } from 'vitest';
// The seed's imports, `roomkit.channels` and `roomkit.voice.realtime.mock`, are both `roomkit/realtime`.
import {
  MockRealtimeProvider,
  MockRealtimeTransport,
  RealtimeVoiceChannel,
} from '../../src/realtime/index.js';
import { eventually } from '../conformance/backend.js';

/** `b"\x00\x01" * 100`: 200 bytes, 100 samples of PCM s16le. */
function seedBytes(): Uint8Array {
  const out = new Uint8Array(200);
  for (let i = 0; i < 200; i += 2) out[i + 1] = 1;
  return out;
}

describe('seed 003: Testing with Mocks (RealtimeVoiceChannel)', () => {
  it('runs as the seed writes it', async () => {
    const provider = new MockRealtimeProvider();
    const transport = new MockRealtimeTransport();

    const channel = new RealtimeVoiceChannel('voice-test', { provider, transport });

    const session = await channel.startSession('room-1', 'user-1');

    // Simulate provider events
    await provider.simulateTranscription(session, 'Hello', { role: 'user', isFinal: true });
    await provider.simulateAudio(session, seedBytes());
    await provider.simulateToolCall(session, 'call-1', 'get_weather', { city: 'NYC' });

    // Assert transport received audio. The channel paces audio at real time, so a piece
    // shorter than one 20 ms frame goes out at once when nothing is playing.
    expect(transport.sentAudio.length).toBeGreaterThan(0);

    await channel.close();
  });

  it('every simulated event reaches its destination, given the session startSession returned', async () => {
    const provider = new MockRealtimeProvider();
    const transport = new MockRealtimeTransport();
    const channel = new RealtimeVoiceChannel('voice-test', { provider, transport });
    const session = await channel.startSession('room-1', 'user-1');

    // Transcriptions: the transport's client UI gets them (no kit: no room events).
    provider.simulateTranscription(session, 'Hello', { role: 'user', isFinal: true });
    await eventually(() =>
      expect(transport.sentTranscriptions.get(session.id)).toEqual([{ text: 'Hello', role: 'user' }]),
    );

    // Audio: the 100 samples at 24 kHz reach the 16 kHz transport, resampled, without a
    // response end.
    provider.simulateAudio(session, seedBytes());
    const sent = transport.sentAudio.filter((a) => a.sessionId === session.id);
    expect(sent.length).toBe(1);
    expect(sent[0]!.data.byteLength / 2).toBeGreaterThanOrEqual(60);
    expect(sent[0]!.data.byteLength / 2).toBeLessThanOrEqual(70);

    // Tool calls: answered (no handler here: an error result the model can read).
    const answer = await provider.simulateToolCall(session, 'call-1', 'get_weather', { city: 'NYC' });
    expect(answer).toEqual({ result: '{"error":"unknown tool: get_weather"}', isError: true });
    expect(provider.callsTo('submitToolResult', session.providerSession)).toHaveLength(1);

    // The seed's transport helpers: caller audio reaches the provider, a hang-up ends the session.
    await transport.simulateClientAudio(session, seedBytes());
    expect(provider.sentAudio(session.providerSession!)).toHaveLength(1);
    await transport.simulateClientDisconnect(session);
    await eventually(() => expect(session.state).toBe('ended'));
    expect(session.providerSession?.state).toBe('ended');
    await channel.close();
  });
});
