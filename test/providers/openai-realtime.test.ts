import { afterEach, describe, expect, it } from 'vitest';
import { base64ToPcm16 } from '../../src/realtime/pcm.js';
import { OpenAIRealtimeProvider } from '../../src/providers/openai/realtime-provider.js';
import { FakeOpenAIRealtimeServer } from '../../src/testing/fake-realtime/fake-openai-realtime-server.js';
import {
  baseConfig,
  EventLog,
  recordingLogger,
  runRealtimeProviderConformance,
  speak,
} from '../conformance/realtime-provider.js';

const isType = (type: string) => (m: any) => m.type === type;

runRealtimeProviderConformance<FakeOpenAIRealtimeServer>({
  name: 'OpenAI',
  startFake: () => new FakeOpenAIRealtimeServer().start(),
  createProvider: (fake, { apiKey, logger }) =>
    new OpenAIRealtimeProvider({
      apiKey: apiKey ?? 'test-key',
      model: 'gpt-realtime',
      baseUrl: `${fake.url}/v1`,
      logger,
    }),
  expectConnected(_fake, conn, config) {
    expect(conn.headers.authorization).toBe('Bearer test-key');
    expect(conn.url.pathname).toBe('/v1/realtime');
    expect(conn.url.searchParams.get('model')).toBe('gpt-realtime');
    const update = conn.messages(isType('session.update'))[0].session;
    expect(update).toMatchObject({
      type: 'realtime',
      instructions: config.systemPrompt,
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'gpt-4o-transcribe' },
          turn_detection: { type: 'server_vad' },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' },
      },
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: { required: ['city'] },
        },
      ],
      tool_choice: 'auto',
    });
    expect(update).not.toHaveProperty('temperature'); // not a GA session field
    expect(conn.sent[0].message.type).toBe('session.created');
  },
  inputAudio: (m) => (m.type === 'input_audio_buffer.append' ? base64ToPcm16(m.audio) : undefined),
  wireInputRate: 24000,
  async expectToolResult(fake, callId, result) {
    await fake.waitForMessage(
      (m) =>
        m.type === 'conversation.item.create' &&
        m.item?.type === 'function_call_output' &&
        m.item.call_id === callId &&
        m.item.output === result,
    );
    const types = fake.allReceived().map((m) => m.type);
    expect(types.lastIndexOf('response.create')).toBeGreaterThan(
      types.lastIndexOf('conversation.item.create'),
    );
  },
  async expectInterruptHandled(fake, { itemId, playedMs }) {
    const truncate = await fake.waitForMessage(isType('conversation.item.truncate'));
    expect(truncate).toEqual({
      type: 'conversation.item.truncate',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: playedMs,
    });
    await expect
      .poll(() =>
        fake.connections[0].sent.some(
          (s) => s.message.type === 'conversation.item.truncated' && s.message.audio_end_ms === playedMs,
        ),
      )
      .toBe(true);
    // The server cancelled on speech_started; the client must not cancel a second time.
    expect(fake.allReceived(isType('response.cancel'))).toEqual([]);
  },
  async expectReconfigured(fake, systemPrompt) {
    const updates = fake.allReceived(isType('session.update'));
    expect(updates.length).toBe(2);
    expect(updates[1].session).toMatchObject({ type: 'realtime', instructions: systemPrompt });
    expect(fake.connections.length).toBe(1);
  },
  failSession: (fake, conn) => fake.failSession(conn),
  sendUnexpected(fake, conn) {
    fake.send(conn, { type: 'rate_limits.updated', event_id: 'e1', rate_limits: [] });
    fake.send(conn, { type: 'roomkit.future_event', event_id: 'e2' });
    fake.send(conn, { type: 'response.output_audio.delta', event_id: 'e3', delta: 42 });
    return 'roomkit.future_event';
  },
  assistantPartials: true,
});

describe('OpenAI realtime specifics', () => {
  let fake: FakeOpenAIRealtimeServer;
  afterEach(() => fake?.close());

  function provider(extra: Partial<ConstructorParameters<typeof OpenAIRealtimeProvider>[0]> = {}) {
    return new OpenAIRealtimeProvider({
      apiKey: 'test-key',
      baseUrl: `${fake.url}/v1`,
      logger: recordingLogger(),
      ...extra,
    });
  }

  it('takes the key from OPENAI_API_KEY and refuses to start without one', () => {
    const saved = process.env.OPENAI_API_KEY;
    try {
      process.env.OPENAI_API_KEY = 'env-key';
      expect(() => new OpenAIRealtimeProvider()).not.toThrow();
      delete process.env.OPENAI_API_KEY;
      expect(() => new OpenAIRealtimeProvider()).toThrow(/OPENAI_API_KEY/);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it('sends semantic VAD and the transcription model from providerConfig (snake_case too)', async () => {
    fake = await new FakeOpenAIRealtimeServer().start();
    const p = provider();
    const s = await p.connect({
      ...baseConfig,
      providerConfig: { turn_detection: { type: 'semantic_vad', eagerness: 'high' }, stt_model: 'whisper-1' },
    });
    const update = fake.allReceived(isType('session.update'))[0].session;
    expect(update.audio.input.turn_detection).toEqual({ type: 'semantic_vad', eagerness: 'high' });
    expect(update.audio.input.transcription).toEqual({ model: 'whisper-1' });
    await p.disconnect(s);
  });

  it('runs manual turns: turnDetection null, commitAudio commits and asks for the response', async () => {
    fake = await new FakeOpenAIRealtimeServer().start();
    const p = provider();
    const log = new EventLog(p);
    const s = await p.connect({ ...baseConfig, providerConfig: { turnDetection: null } });
    expect(fake.allReceived(isType('session.update'))[0].session.audio.input.turn_detection).toBeNull();
    fake.queueTurn({ userTranscript: 'manual turn', reply: { text: 'Manual answer.' } });
    speak(p, s);
    await fake.waitForMessage(isType('input_audio_buffer.append'), { count: 6 });
    expect(log.of('speechStart')).toEqual([]); // no server VAD
    await p.commitAudio(s);
    expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe(
      'Manual answer.',
    );
    expect(
      fake
        .allReceived()
        .map((m) => m.type)
        .filter((t) => t !== 'input_audio_buffer.append'),
    ).toEqual(['session.update', 'input_audio_buffer.commit', 'response.create']);
    await p.disconnect(s);
  });

  it('emits the rollover hint before the session limit, then ends with session-limit', async () => {
    fake = await new FakeOpenAIRealtimeServer({ maxSessionMs: 400 }).start();
    const p = provider({ sessionLimitMs: 300, rolloverLeadMs: 200 });
    expect(p.capabilities.maxSessionMs).toBe(300);
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    const hint = await log.next('goAway');
    expect(hint).toMatchObject({ reason: 'session-limit', timeLeftMs: 200, resumable: false });
    const ended = await log.next('sessionEnded');
    expect(ended.reason).toBe('session-limit');
    expect(ended.error).toMatchObject({ code: 'session_expired', provider: 'openai' });
    expect(log.events.findIndex((e) => e.type === 'goAway')).toBeLessThan(
      log.events.findIndex((e) => e.type === 'sessionEnded'),
    );
    await expect.poll(() => fake.connections[0].closeCode).toBe(1001);
    expect(s.state).toBe('ended');
  });

  it('reports non-fatal error events and keeps the session', async () => {
    fake = await new FakeOpenAIRealtimeServer().start();
    const p = provider();
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    fake.sendError(fake.connections[0], { code: 'invalid_value', message: 'Invalid value for voice' });
    const err = await log.next('error');
    expect(err.fatal).toBe(false);
    expect(err.error).toMatchObject({ provider: 'openai', code: 'invalid_value' });
    expect(s.state).toBe('active');
    await p.disconnect(s);
  });

  it('fails connect with a typed error when the server rejects the session config', async () => {
    fake = await new FakeOpenAIRealtimeServer().start();
    const p = provider();
    const err = await p
      .connect({ ...baseConfig, providerConfig: { turnDetection: { type: 'bogus' } } })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'validation_error' });
    expect(p.sessions).toEqual([]);
  });

  it('sends typed text as a user message and asks for a response', async () => {
    fake = await new FakeOpenAIRealtimeServer().start();
    const p = provider();
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    fake.queueTurn({ reply: { text: 'Hi, typed user.' } });
    await p.sendText(s, 'hello by text');
    expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe(
      'Hi, typed user.',
    );
    expect(fake.allReceived(isType('conversation.item.create'))[0].item).toEqual({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'hello by text' }],
    });
    await p.disconnect(s);
  });
});
