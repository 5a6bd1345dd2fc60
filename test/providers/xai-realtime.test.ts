import { afterEach, describe, expect, it } from 'vitest';
import { XAIRealtimeConfig, XAIRealtimeProvider } from '../../src/providers/xai/index.js';
import { base64ToPcm16 } from '../../src/realtime/pcm.js';
import { FakeXAIRealtimeServer } from '../../src/testing/fake-realtime/fake-xai-realtime-server.js';
import {
  baseConfig,
  EventLog,
  recordingLogger,
  runRealtimeProviderConformance,
  speak,
  weatherTool,
} from '../conformance/realtime-provider.js';

const isType = (type: string) => (m: any) => m.type === type;

runRealtimeProviderConformance<FakeXAIRealtimeServer>({
  name: 'xAI',
  startFake: () => new FakeXAIRealtimeServer({ pingIntervalMs: 5 }).start(),
  createProvider: (fake, { apiKey, logger }) =>
    new XAIRealtimeProvider({ apiKey: apiKey ?? 'test-key', baseUrl: `${fake.url}/v1`, logger }),
  config: { ...baseConfig, voice: 'Ara' },
  expectConnected(_fake, conn, config) {
    expect(conn.headers.authorization).toBe('Bearer test-key');
    expect(conn.url.pathname).toBe('/v1/realtime');
    expect(conn.url.searchParams.get('model')).toBe('grok-voice-think-fast-1.0');
    expect(conn.sent[0].message).toMatchObject({
      type: 'conversation.created',
      conversation: { object: 'realtime.conversation' },
    });
    const update = conn.messages(isType('session.update'))[0].session;
    expect(update).toEqual({
      instructions: config.systemPrompt,
      voice: 'Ara',
      turn_detection: { type: 'server_vad' },
      audio: {
        input: { format: { type: 'audio/pcm', rate: 16000 } },
        output: { format: { type: 'audio/pcm', rate: 24000 } },
      },
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: weatherTool.description,
          parameters: weatherTool.parameters,
        },
      ],
    });
  },
  inputAudio: (m) => (m.type === 'input_audio_buffer.append' ? base64ToPcm16(m.audio) : undefined),
  wireInputRate: 16000, // xAI takes the caller's rate as it is
  async expectToolResult(fake, callId, result) {
    await fake.waitForMessage(
      (m) =>
        m.type === 'conversation.item.create' &&
        m.item?.type === 'function_call_output' &&
        m.item.call_id === callId &&
        m.item.output === result,
    );
    await fake.waitForMessage(isType('response.create'));
  },
  async expectInterruptHandled(fake) {
    // No truncate on xAI: the server's VAD cancelled the response; the client drops its audio.
    await expect
      .poll(() =>
        fake.connections[0].sent.some(
          (s) => s.message.type === 'response.done' && s.message.response.status === 'cancelled',
        ),
      )
      .toBe(true);
    expect(fake.allReceived(isType('conversation.item.truncate'))).toEqual([]);
  },
  async expectReconfigured(fake, systemPrompt) {
    const updates = fake.allReceived(isType('session.update'));
    expect(updates.length).toBe(2);
    expect(updates[1].session.instructions).toBe(systemPrompt);
  },
  failSession: (fake, conn) => fake.failSession(conn),
  sendUnexpected(fake, conn) {
    fake.send(conn, { type: 'grok.future_event', event_id: 'e2' });
    fake.send(conn, { type: 'response.function_call_arguments.done', call_id: 7 });
    return 'grok.future_event';
  },
  assistantPartials: true,
});

describe('xAI realtime specifics', () => {
  let fake: FakeXAIRealtimeServer;
  afterEach(() => fake?.close());

  it('passes native web_search / x_search tools through next to function tools', async () => {
    fake = await new FakeXAIRealtimeServer().start();
    const p = new XAIRealtimeProvider(
      XAIRealtimeConfig({ apiKey: 'test-key', baseUrl: `${fake.url}/v1`, logger: recordingLogger() }),
    );
    expect(p.capabilities.nativeTools).toContain('x_search');
    const s = await p.connect({
      ...baseConfig,
      tools: [{ type: 'web_search' }, { type: 'x_search', allowed_x_handles: ['xai'] }, weatherTool],
    });
    expect(fake.nativeTools(fake.connections[0])).toEqual([
      { type: 'web_search' },
      { type: 'x_search', allowed_x_handles: ['xai'] },
    ]);
    expect(fake.allReceived(isType('session.update'))[0].session.tools[2]).toMatchObject({
      type: 'function',
      name: 'get_weather',
    });
    await p.disconnect(s);
  });

  it('builds from XAIRealtimeConfig with env defaults and config voice, model and transcription model', async () => {
    fake = await new FakeXAIRealtimeServer().start();
    const saved = { ...process.env };
    try {
      process.env.XAI_API_KEY = 'test-key';
      process.env.XAI_MODEL = 'grok-voice-latest';
      const config = XAIRealtimeConfig({
        voice: 'rex',
        transcriptionModel: 'grok-2-audio',
        baseUrl: `${fake.url}/v1/`,
      });
      expect(config).toMatchObject({ apiKey: 'test-key', model: 'grok-voice-latest', voice: 'rex' });
      const p = new XAIRealtimeProvider(config);
      const s = await p.connect({ inputSampleRate: 8000, outputSampleRate: 16000 });
      const conn = fake.connections[0];
      expect(conn.url.searchParams.get('model')).toBe('grok-voice-latest');
      const update = conn.messages(isType('session.update'))[0].session;
      expect(update.voice).toBe('rex');
      expect(update.audio.input).toEqual({
        format: { type: 'audio/pcm', rate: 8000 },
        transcription: { model: 'grok-2-audio' },
      });
      expect(update.audio.output.format.rate).toBe(16000);
      await p.disconnect(s);
    } finally {
      process.env = saved;
    }
    expect(() => XAIRealtimeConfig({})).toThrow(/XAI_API_KEY/);
  });

  it('ignores ping keep-alives and runs manual turns when turnDetectionType is null', async () => {
    fake = await new FakeXAIRealtimeServer({ pingIntervalMs: 2 }).start();
    const logger = recordingLogger();
    const p = new XAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${fake.url}/v1`, logger });
    const log = new EventLog(p);
    const s = await p.connect({ ...baseConfig, providerConfig: { turnDetectionType: null } });
    expect(fake.allReceived(isType('session.update'))[0].session.turn_detection).toBeNull();
    await expect
      .poll(() => fake.connections[0].sent.filter((m) => m.message.type === 'ping').length)
      .toBeGreaterThan(2);
    fake.queueTurn({ userTranscript: 'manual', reply: { text: 'Done.' } });
    speak(p, s);
    await p.commitAudio(s);
    expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe('Done.');
    expect(logger.lines.some((l) => JSON.stringify(l.obj).includes('"ping"'))).toBe(true);
    expect(log.of('error')).toEqual([]);
    await p.disconnect(s);
  });
});
