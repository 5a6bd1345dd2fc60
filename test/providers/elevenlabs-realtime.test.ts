import { afterEach, describe, expect, it } from 'vitest';
import { ElevenLabsRealtimeConfig } from '../../src/providers/elevenlabs/realtime-config.js';
import { ElevenLabsRealtimeProvider } from '../../src/providers/elevenlabs/realtime-provider.js';
import { base64ToPcm16 } from '../../src/realtime/pcm.js';
import { FakeElevenLabsConvaiServer } from '../../src/testing/fake-realtime/fake-elevenlabs-convai-server.js';
import {
  baseConfig,
  EventLog,
  recordingLogger,
  runRealtimeProviderConformance,
  speak,
} from '../conformance/realtime-provider.js';

const PATH = '/v1/convai/conversation';

runRealtimeProviderConformance<FakeElevenLabsConvaiServer>({
  name: 'ElevenLabs',
  startFake: () => new FakeElevenLabsConvaiServer().start(),
  createProvider: (fake, { apiKey, logger }) =>
    new ElevenLabsRealtimeProvider(
      ElevenLabsRealtimeConfig({
        apiKey: apiKey ?? 'test-key',
        agentId: 'agent_test',
        baseUrl: fake.url,
        logger,
      }),
    ),
  config: {
    ...baseConfig,
    voice: '21m00Tcm4TlvDq8ikWAM',
    providerConfig: { language: 'fr', firstMessage: undefined },
  },
  expectConnected(_fake, conn, config) {
    expect(conn.url.pathname).toBe(PATH);
    expect(conn.url.searchParams.get('agent_id')).toBe('agent_test');
    expect(conn.headers['xi-api-key']).toBe('test-key');
    expect(conn.received[0].message).toEqual({
      type: 'conversation_initiation_client_data',
      conversation_config_override: {
        agent: { prompt: { prompt: config.systemPrompt }, language: 'fr' },
        tts: { voice_id: '21m00Tcm4TlvDq8ikWAM' },
      },
      custom_llm_extra_body: { temperature: 0.7 },
    });
    expect(conn.sent[0].message.type).toBe('conversation_initiation_metadata');
  },
  inputAudio: (m) => (typeof m.user_audio_chunk === 'string' ? base64ToPcm16(m.user_audio_chunk) : undefined),
  wireInputRate: 16000,
  async expectToolResult(fake, callId, result) {
    const msg = await fake.waitForMessage((m) => m.type === 'client_tool_result');
    expect(msg).toEqual({ type: 'client_tool_result', tool_call_id: callId, result, is_error: false });
  },
  async expectInterruptHandled(fake) {
    // The fake sent a late chunk of the cut answer (same event id) and a correction; nothing goes back.
    await expect
      .poll(() => fake.connections[0].sent.some((s) => s.message.type === 'agent_response_correction'))
      .toBe(true);
    expect(fake.connections[0].sent.filter((s) => s.message.type === 'interruption')).toHaveLength(1);
  },
  async expectReconfigured(fake, systemPrompt) {
    // Overrides only apply at connect: a new conversation carries the new prompt.
    const second = await fake.waitForConnection(1);
    expect(second.received[0].message.conversation_config_override.agent.prompt).toEqual({
      prompt: systemPrompt,
    });
    await expect.poll(() => fake.connections[0].closed).toBe(true);
  },
  failSession: (fake, conn) => fake.failSession(conn),
  sendUnexpected(fake, conn) {
    fake.send(conn, { type: 'agent_future_feature', agent_future_feature_event: {} });
    fake.send(conn, { type: 'audio', audio_event: { audio_base_64: 5 } });
    return 'agent_future_feature';
  },
  assistantPartials: false,
});

describe('ElevenLabs realtime specifics', () => {
  let fake: FakeElevenLabsConvaiServer;
  afterEach(() => fake?.close());

  it('connects a private agent through a signed URL, with no key on the socket', async () => {
    fake = await new FakeElevenLabsConvaiServer({ requireAuth: true }).start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'test-key',
      agentId: 'agent_test',
      requiresAuth: true,
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    const s = await p.connect(baseConfig);
    const conn = fake.connections[0];
    expect(conn.url.searchParams.get('conversation_signature')).toBe('sig_1');
    expect(conn.headers['xi-api-key']).toBeUndefined();
    expect(s.providerSessionId).toBe('conv_0');
    await p.disconnect(s);
    await expect.poll(() => conn.closeCode).toBe(1000);
    expect(conn.closeReason).toBe('User ended conversation');
  });

  it('refuses a bad key at the signed-URL endpoint with an AuthenticationError', async () => {
    fake = await new FakeElevenLabsConvaiServer({ requireAuth: true }).start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'wrong',
      agentId: 'agent_test',
      requiresAuth: true,
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    await expect(p.connect(baseConfig)).rejects.toMatchObject({
      name: 'AuthenticationError',
      provider: 'elevenlabs',
      status: 401,
    });
    expect(fake.connections).toEqual([]);
  });

  it('answers every ping with a pong carrying its event id', async () => {
    fake = await new FakeElevenLabsConvaiServer().start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'test-key',
      agentId: 'agent_test',
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    const s = await p.connect(baseConfig);
    const conn = fake.connections[0];
    const ids = [fake.ping(conn), fake.ping(conn, 0), fake.ping(conn)];
    await expect.poll(() => fake.pongs(conn)).toEqual(ids);
    expect(conn.messages((m) => m.type === 'pong')[0]).toEqual({ type: 'pong', event_id: ids[0] });
    await p.disconnect(s);
  });

  it('sends first message and dynamic variables, and plays the greeting', async () => {
    fake = await new FakeElevenLabsConvaiServer().start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'test-key',
      agentId: 'agent_test',
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    const log = new EventLog(p);
    const s = await p.connect({
      providerConfig: {
        first_message: 'Bonjour!',
        dynamicVariables: { user_name: 'Alice', account_id: 12345 },
        userId: 'u-1',
      },
    });
    const init = fake.connections[0].received[0].message;
    expect(init.conversation_config_override).toEqual({ agent: { first_message: 'Bonjour!' } });
    expect(init.dynamic_variables).toEqual({ user_name: 'Alice', account_id: 12345 });
    expect(init.user_id).toBe('u-1');
    expect((await log.next('transcription', (e) => e.role === 'assistant')).text).toBe('Bonjour!');
    await log.next('audio');
    await p.disconnect(s);
  });

  it('speaks mu-law at 8 kHz when the agent announces ulaw_8000', async () => {
    fake = await new FakeElevenLabsConvaiServer({
      userInputAudioFormat: 'ulaw_8000',
      agentOutputAudioFormat: 'ulaw_8000',
    }).start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'test-key',
      agentId: 'agent_test',
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    fake.queueTurn({ userTranscript: 'phone call', reply: { text: 'Telephony.', audioMs: 200 } });
    speak(p, s);
    await log.next('transcription', (e) => e.role === 'user' && e.isFinal);
    const chunk = fake.allReceived((m) => typeof m.user_audio_chunk === 'string')[0].user_audio_chunk;
    expect(Buffer.from(chunk, 'base64').length).toBe(160); // 20 ms at 8 kHz, one byte a sample
    await expect
      .poll(() => log.of('audio').reduce((n, e) => n + e.audio.length, 0))
      .toBeGreaterThan(4800 * 0.95);
    expect(log.of('audio').every((e) => e.sampleRate === 24000)).toBe(true);
    expect(Math.max(...log.of('audio').flatMap((e) => Array.from(e.audio)))).toBeGreaterThan(4000);
    await p.disconnect(s);
  });

  it('ends with server-closed when the agent hangs up', async () => {
    fake = await new FakeElevenLabsConvaiServer().start();
    const p = new ElevenLabsRealtimeProvider({
      apiKey: 'test-key',
      agentId: 'agent_test',
      baseUrl: fake.url,
      logger: recordingLogger(),
    });
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    fake.endCall(fake.connections[0]);
    expect(await log.next('sessionEnded')).toMatchObject({ reason: 'server-closed', error: undefined });
    expect(s.state).toBe('ended');
  });

  it('needs an agent id; ElevenLabsRealtimeConfig and a plain object build the same provider', () => {
    const saved = { ...process.env };
    try {
      delete process.env.ELEVENLABS_AGENT_ID;
      expect(() => ElevenLabsRealtimeConfig({ apiKey: 'k' })).toThrow(/agentId/);
      const a = new ElevenLabsRealtimeProvider(
        ElevenLabsRealtimeConfig({
          apiKey: 'k',
          agentId: 'a',
          baseUrl: 'wss://api.eu.residency.elevenlabs.io',
        }),
      );
      const b = new ElevenLabsRealtimeProvider({
        apiKey: 'k',
        agentId: 'a',
        baseUrl: 'wss://api.eu.residency.elevenlabs.io',
      });
      expect(a.config).toEqual(b.config);
      expect(a.config.apiBaseUrl).toBe('https://api.eu.residency.elevenlabs.io');
    } finally {
      process.env = saved;
    }
  });
});
