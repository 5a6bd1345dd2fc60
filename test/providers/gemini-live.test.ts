import { afterEach, describe, expect, it } from 'vitest';
import { GeminiLiveProvider } from '../../src/providers/gemini/live-provider.js';
import { base64ToPcm16 } from '../../src/realtime/pcm.js';
import { FakeGeminiLiveServer } from '../../src/testing/fake-realtime/fake-gemini-live-server.js';
import {
  baseConfig,
  EventLog,
  recordingLogger,
  runRealtimeProviderConformance,
  speak,
} from '../conformance/realtime-provider.js';

const MODEL = 'gemini-2.5-flash-native-audio-preview-12-2025';
const PATH = '/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent';

runRealtimeProviderConformance<FakeGeminiLiveServer>({
  name: 'Gemini Live',
  startFake: () => new FakeGeminiLiveServer().start(),
  createProvider: (fake, { apiKey, logger }) =>
    new GeminiLiveProvider({ apiKey: apiKey ?? 'test-key', baseUrl: fake.url, logger }),
  config: { ...baseConfig, voice: 'Aoede' },
  expectConnected(_fake, conn, config) {
    expect(conn.url.pathname).toBe(PATH);
    expect(conn.url.searchParams.get('key')).toBe('test-key');
    expect(conn.received[0].message).toEqual({
      setup: {
        model: `models/${MODEL}`,
        generationConfig: {
          responseModalities: ['AUDIO'],
          speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Aoede' } } },
          temperature: 0.7,
        },
        systemInstruction: { parts: [{ text: config.systemPrompt }] },
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Current weather for a city',
                parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
              },
            ],
          },
        ],
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        sessionResumption: {},
      },
    });
    expect(conn.sent[0].message).toEqual({ setupComplete: {} });
  },
  inputAudio: (m) =>
    m.realtimeInput?.audio?.mimeType === 'audio/pcm;rate=16000'
      ? base64ToPcm16(m.realtimeInput.audio.data)
      : undefined,
  wireInputRate: 16000,
  async expectToolResult(fake, callId) {
    const msg = await fake.waitForMessage((m) => m.toolResponse !== undefined);
    expect(msg).toEqual({
      toolResponse: { functionResponses: [{ id: callId, name: 'get_weather', response: { temp: 21 } }] },
    });
  },
  async expectInterruptHandled(fake) {
    // Gemini's server tracks what it generated: it announced the interruption, nothing is sent back.
    expect(fake.connections[0].sent.some((s) => s.message.serverContent?.interrupted === true)).toBe(true);
    expect(fake.allReceived((m) => m.clientContent !== undefined || m.toolResponse !== undefined)).toEqual(
      [],
    );
  },
  async expectReconfigured(fake, systemPrompt) {
    // Resumed on a new connection with the last handle and the new config.
    const second = await fake.waitForConnection(1);
    expect(second.received[0].message.setup.systemInstruction).toEqual({ parts: [{ text: systemPrompt }] });
    expect(second.state.resumedHandle).toMatch(/^handle-/);
    await expect.poll(() => fake.connections[0].closed).toBe(true);
  },
  failSession: (fake, conn) => fake.failSession(conn),
  sendUnexpected(fake, conn) {
    fake.send(conn, { someFutureMessage: { x: 1 } });
    fake.send(conn, { serverContent: { modelTurn: { parts: 'not-a-list' } } });
    return 'someFutureMessage';
  },
  assistantPartials: true,
});

describe('Gemini Live specifics', () => {
  let fake: FakeGeminiLiveServer;
  afterEach(() => fake?.close());

  it('resumes across goAway with the last handle, keeping the session', async () => {
    fake = await new FakeGeminiLiveServer({ connectionLifetimeMs: 400, goAwayLeadMs: 300 }).start();
    const p = new GeminiLiveProvider({ apiKey: 'test-key', baseUrl: fake.url, logger: recordingLogger() });
    const log = new EventLog(p);
    const s = await p.connect({ ...baseConfig, voice: 'Aoede' });
    const goAway = await log.next('goAway');
    expect(goAway).toMatchObject({ reason: 'server-go-away', timeLeftMs: 300, resumable: true });
    const resumed = await log.next('sessionResumed');
    expect(resumed).toMatchObject({ reason: 'go-away', contextPreserved: true });
    const second = fake.connections[1];
    expect(second.state.resumedHandle).toBe('handle-1');
    expect(second.received[0].message.setup.sessionResumption).toEqual({ handle: 'handle-1' });
    fake.queueTurn({ userTranscript: 'still here', reply: { text: 'On the new connection.' } });
    speak(p, s);
    expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe(
      'On the new connection.',
    );
    expect(second.messages((m) => m.realtimeInput?.audio).length).toBeGreaterThan(0);
    expect(log.of('sessionEnded')).toEqual([]);
    expect(s.state).toBe('active');
    await p.disconnect(s);
  });

  it('maps the seed providerConfig options onto setup', async () => {
    fake = await new FakeGeminiLiveServer().start();
    const p = new GeminiLiveProvider({
      apiKey: 'test-key',
      baseUrl: fake.url,
      model: 'gemini-live-2.5-flash-preview',
      logger: recordingLogger(),
    });
    const s = await p.connect({
      ...baseConfig,
      tools: [],
      providerConfig: {
        start_of_speech_sensitivity: 'HIGH',
        endOfSpeechSensitivity: 'LOW',
        silenceDurationMs: 500,
        proactiveAudio: true,
        enableAffectiveDialog: true,
        thinkingBudget: 1024,
        topP: 0.8,
        topK: 40,
        maxOutputTokens: 2048,
        activityHandling: 'NO_INTERRUPTION',
        languageCode: 'en-US',
      },
    });
    const { setup } = fake.connections[0].received[0].message;
    expect(setup.model).toBe('models/gemini-live-2.5-flash-preview');
    expect(setup.generationConfig).toMatchObject({
      topP: 0.8,
      topK: 40,
      maxOutputTokens: 2048,
      thinkingConfig: { thinkingBudget: 1024 },
      enableAffectiveDialog: true,
      speechConfig: { languageCode: 'en-US' },
    });
    expect(setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: {
        startOfSpeechSensitivity: 'START_SENSITIVITY_HIGH',
        endOfSpeechSensitivity: 'END_SENSITIVITY_LOW',
        silenceDurationMs: 500,
      },
      activityHandling: 'NO_INTERRUPTION',
    });
    expect(setup.proactivity).toEqual({ proactiveAudio: true });
    expect(setup).not.toHaveProperty('tools');
    await p.disconnect(s);
  });

  it('brackets speech with activityStart/activityEnd when automatic detection is off', async () => {
    fake = await new FakeGeminiLiveServer().start();
    const p = new GeminiLiveProvider({ apiKey: 'test-key', baseUrl: fake.url, logger: recordingLogger() });
    const log = new EventLog(p);
    const s = await p.connect({ ...baseConfig, providerConfig: { automaticActivityDetection: false } });
    expect(fake.connections[0].received[0].message.setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: true },
    });
    fake.queueTurn({ userTranscript: 'manual', reply: { text: 'Manual reply.' } });
    speak(p, s);
    await p.commitAudio(s);
    expect((await log.next('transcription', (e) => e.role === 'assistant' && e.isFinal)).text).toBe(
      'Manual reply.',
    );
    const kinds = fake.allReceived((m) => m.realtimeInput).map((m) => Object.keys(m.realtimeInput)[0]);
    expect(kinds[0]).toBe('activityStart');
    expect(kinds.at(-1)).toBe('activityEnd');
    expect(kinds.filter((k) => k === 'activityStart')).toHaveLength(1);
    await p.disconnect(s);
  });

  it('reads the key from GEMINI_API_KEY, then GOOGLE_API_KEY', () => {
    const saved = { ...process.env };
    try {
      delete process.env.GEMINI_API_KEY;
      process.env.GOOGLE_API_KEY = 'google-key';
      expect(() => new GeminiLiveProvider()).not.toThrow();
      delete process.env.GOOGLE_API_KEY;
      expect(() => new GeminiLiveProvider()).toThrow(/GEMINI_API_KEY/);
    } finally {
      process.env = saved;
    }
  });

  it('ends with a typed error when the server closes with 1008', async () => {
    fake = await new FakeGeminiLiveServer().start();
    const p = new GeminiLiveProvider({ apiKey: 'test-key', baseUrl: fake.url, logger: recordingLogger() });
    const log = new EventLog(p);
    const s = await p.connect(baseConfig);
    fake.closeConnection(fake.connections[0], 1008, 'Requested entity was not found.');
    const ended = await log.next('sessionEnded');
    expect(ended).toMatchObject({
      reason: 'provider-error',
      error: { provider: 'gemini', code: 'closed_by_server' },
    });
    expect(ended.error?.message).toContain('Requested entity was not found.');
    expect(s.state).toBe('ended');
  });
});
