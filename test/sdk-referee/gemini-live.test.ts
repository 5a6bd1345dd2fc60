/**
 * Referee: `@google/genai`'s live client (ai.live.connect) against FakeGeminiLiveServer. One
 * session: setup, 16 kHz audio in, input transcription, a function call and its response,
 * audio and transcription out, barge-in (`interrupted`); then our GeminiLiveProvider, whose
 * client messages must fit the SDK's LiveClientMessage.
 */
import {
  type FunctionDeclaration,
  GoogleGenAI,
  type LiveServerMessage,
  Modality,
  type Session,
} from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiLiveProvider } from '../../src/providers/gemini/live-provider.js';
import { pcm16ToBase64 } from '../../src/realtime/pcm.js';
import { FakeGeminiLiveServer, silence, tone } from '../../src/testing/fake-realtime/index.js';
import { baseConfig, EventLog, recordingLogger } from '../conformance/realtime-provider.js';
import { weatherTurns } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'gemini-live-referee';
const MODEL = 'gemini-2.5-flash-native-audio-preview-12-2025';
const getWeather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const SERVER_TYPE = "Omit<T.LiveServerMessage, 'text' | 'data'>";

/** Messages the SDK handed to `onmessage`, with a way to wait for one. */
class Received {
  readonly messages: LiveServerMessage[] = [];
  readonly errors: unknown[] = [];
  closed?: { code: number; reason: string };

  async until(
    check: (m: LiveServerMessage) => boolean,
    after = 0,
    timeoutMs = 5_000,
  ): Promise<LiveServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(after).find(check);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching live message within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('@google/genai live client referees FakeGeminiLiveServer', TYPE_CHECK_TIMEOUT, () => {
  const fake = new FakeGeminiLiveServer({ apiKey: KEY });
  const sessions: Session[] = [];

  beforeAll(() => fake.start());
  afterAll(async () => {
    for (const s of sessions) s.close();
    await fake.close();
  });

  it('runs a voice turn with a function call and a barge-in, in the SDK types, on the v1 path', async () => {
    fake.queueTurn(...weatherTurns('fc_paris'));
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: fake.httpUrl } });
    const got = new Received();
    const session = await ai.live.connect({
      model: MODEL,
      config: {
        responseModalities: [Modality.AUDIO],
        systemInstruction: 'You are a weather assistant.',
        tools: [{ functionDeclarations: [getWeather] }],
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Aoede' } } },
      },
      callbacks: {
        onmessage: (m) => got.messages.push(m),
        onerror: (e) => got.errors.push(e),
        onclose: (e) => (got.closed = { code: e.code, reason: e.reason }),
      },
    });
    sessions.push(session);
    expect(fake.connections[0].url.pathname).toBe(
      '//ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent',
    );
    const speak = (ms: number) => {
      for (const pcm of [tone(ms, 16_000), silence(200, 16_000)])
        session.sendRealtimeInput({ audio: { data: pcm16ToBase64(pcm), mimeType: 'audio/pcm;rate=16000' } });
    };

    speak(400);
    const heard = await got.until((m) => m.serverContent?.inputTranscription?.text === 'Paris?');
    expect(heard).toBeDefined();
    const toolCall = (await got.until((m) => m.toolCall !== undefined)).toolCall!;
    expect(toolCall.functionCalls).toEqual([
      { id: 'fc_paris', name: 'get_weather', args: { city: 'Paris' } },
    ]);

    const beforeAnswer = got.messages.length;
    session.sendToolResponse({
      functionResponses: [{ id: 'fc_paris', name: 'get_weather', response: { sky: 'sunny' } }],
    });
    await got.until((m) => m.data !== undefined, beforeAnswer);
    await expect
      .poll(() => got.messages.slice(beforeAnswer).filter((m) => m.data !== undefined).length)
      .toBe(2);

    const beforeBargeIn = got.messages.length;
    speak(300);
    await got.until((m) => m.serverContent?.interrupted === true, beforeBargeIn);
    await got.until((m) => m.serverContent?.turnComplete === true, beforeBargeIn);
    await got.until((m) => m.serverContent?.outputTranscription?.text === 'welcome.', beforeBargeIn);

    expect(got.errors).toEqual([]);
    expect(got.closed).toBeUndefined();
    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: server messages',
          from: '@google/genai',
          type: SERVER_TYPE,
          enumsAsStrings: true,
          values: fake.connections[0].sent.map((s) => s.message),
        },
        {
          label: 'SDK -> fake: client messages',
          from: '@google/genai',
          type: 'LiveClientMessage',
          enumsAsStrings: true,
          values: fake.connections[0].messages(),
        },
      ]),
    ).toEqual([]);
  });

  it('our GeminiLiveProvider sends only client messages of the SDK types', async () => {
    fake.queueTurn({
      userTranscript: 'Weather?',
      toolCall: { name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'fc_oslo' },
      afterToolResult: { text: 'Cold.' },
    });
    const provider = new GeminiLiveProvider({ apiKey: KEY, baseUrl: fake.url, logger: recordingLogger() });
    const log = new EventLog(provider);
    const first = fake.connections.length;
    const session = await provider.connect({ ...baseConfig, voice: 'Aoede' });
    provider.sendAudio(session, tone(300, 16_000));
    provider.sendAudio(session, silence(300, 16_000));
    const call = await log.next('toolCall');
    await provider.submitToolResult(session, call.callId, '{"t":-3}');
    await log.next('responseEnd');
    await provider.sendText(session, 'And tomorrow?');
    await log.next('responseEnd', () => true, { count: 2 });
    await provider.disconnect(session);
    const conn = fake.connections[first];
    expect(conn.url.pathname).toBe(
      '/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent',
    );
    expect(log.of('error')).toEqual([]);
    expect(
      shapeProblems([
        {
          label: 'GeminiLiveProvider -> fake: client messages',
          from: '@google/genai',
          type: 'LiveClientMessage',
          enumsAsStrings: true,
          values: conn.messages(),
        },
      ]),
    ).toEqual([]);
  });
});
