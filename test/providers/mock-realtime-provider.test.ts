import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { MockRealtimeProvider } from '../../src/testing/mock-realtime-provider.js';
import { EventLog } from '../conformance/realtime-provider.js';

describe('MockRealtimeProvider', () => {
  it('records calls and plays the vendor with the simulate helpers', async () => {
    const provider = new MockRealtimeProvider();
    const log = new EventLog(provider);
    const session = await provider.connect({ systemPrompt: 'Be brief.', outputSampleRate: 16000 });
    expect(session.state).toBe('active');
    provider.sendAudio(session, new Int16Array([1, 2, 3]));
    await provider.submitToolResult(session, 'call-1', '{"ok":true}');
    await provider.interrupt(session, { itemId: 'item-1', playedMs: 120 });
    expect(provider.calls.map((c) => c.method)).toEqual([
      'connect',
      'sendAudio',
      'submitToolResult',
      'interrupt',
    ]);
    expect(provider.sentAudio(session)).toEqual([new Int16Array([1, 2, 3])]);
    expect(provider.callsTo('interrupt', session)[0].args).toEqual([{ itemId: 'item-1', playedMs: 120 }]);

    provider.simulateTranscription(session, 'Hello', { role: 'user', isFinal: true });
    provider.simulateAudio(session, new Uint8Array([0x00, 0x01, 0x00, 0x01]));
    provider.simulateToolCall(session, 'call-2', 'get_weather', { city: 'NYC' });
    provider.simulateSpeechStart(session);
    provider.simulateSpeechEnd(session);
    provider.simulateInterruption(session, { itemId: 'item-9' });

    expect(log.of('transcription')).toEqual([{ session, text: 'Hello', role: 'user', isFinal: true }]);
    expect(log.of('audio')[0]).toMatchObject({ audio: new Int16Array([256, 256]), sampleRate: 16000 });
    expect(log.of('toolCall')[0]).toMatchObject({
      callId: 'call-2',
      name: 'get_weather',
      arguments: { city: 'NYC' },
    });
    expect(log.of('speechStart')).toHaveLength(2);
    expect(log.of('interrupted')[0]).toMatchObject({ itemId: 'item-9', clearPlayback: true });
  });

  it('ends sessions once, by disconnect or a simulated fatal error', async () => {
    const provider = new MockRealtimeProvider();
    const log = new EventLog(provider);
    const a = await provider.connect({});
    const b = await provider.connect({});
    await provider.disconnect(a);
    await provider.disconnect(a);
    provider.simulateError(b, new ProviderError('mock', 'boom'), { fatal: true });
    expect(log.of('sessionEnded').map((e) => e.reason)).toEqual(['client-disconnect', 'provider-error']);
    expect(log.of('error', (e) => e.fatal)).toHaveLength(1);
    await expect(provider.sendText(b, 'hi')).rejects.toMatchObject({ code: 'session_ended' });
    provider.failNextConnect = new ProviderError('mock', 'refused');
    await expect(provider.connect({})).rejects.toThrow('refused');
    expect(provider.sessions).toEqual([]);
  });
});
