/**
 * Referee: the official `@google/genai` SDK against FakeGeminiServer (REST). A streamed
 * generateContent that calls a function, the function response, the streamed answer; then
 * the same through our GeminiProvider, whose request bodies must fit the SDK's own types.
 */
import { type Content, type FunctionDeclaration, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeminiProvider } from '../../src/providers/gemini/index.js';
import { FakeGeminiServer } from '../../src/testing/fake-ai/index.js';
import { ourToolRoundTrip } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'gemini-referee-key';
const getWeather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
/** The wire body of generateContent, built from the SDK's exported part types. */
const REQUEST_TYPE =
  '{ contents: T.Content[]; systemInstruction?: T.Content; tools?: T.Tool[]; toolConfig?: T.ToolConfig; ' +
  'generationConfig?: T.GenerationConfig; safetySettings?: T.SafetySetting[] }';
/** A response as JSON: the SDK's class without its convenience getters. */
const RESPONSE_TYPE =
  "Omit<T.GenerateContentResponse, 'text' | 'data' | 'functionCalls' | 'executableCode' | 'codeExecutionResult' | 'initialPromptTokenCount' | 'sdkHttpResponse'>";

describe('@google/genai referees FakeGeminiServer (generateContent, REST)', TYPE_CHECK_TIMEOUT, () => {
  const server = new FakeGeminiServer({ apiKey: KEY });
  let ai: GoogleGenAI;

  beforeAll(async () => {
    await server.start();
    ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: server.origin, timeout: 10_000 } });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('streams a function call, takes the response and streams the answer, on the default v1 API', async () => {
    server.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris today.' },
    );
    const contents: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
    const config = { tools: [{ functionDeclarations: [getWeather] }] };

    const first = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents, config });
    const calls = [];
    let modelTurn: Content | undefined;
    for await (const chunk of first) {
      calls.push(...(chunk.functionCalls ?? []));
      modelTurn = chunk.candidates?.[0]?.content ?? modelTurn;
    }
    expect(calls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
    expect(modelTurn?.parts?.[0]?.thoughtSignature).toBeTruthy();

    contents.push(modelTurn!, {
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } }],
    });
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents,
      config,
    }))
      text += chunk.text ?? '';
    expect(text).toBe('It is sunny in Paris today.');

    const plain = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(plain.text).toBe('Hello from the fake server.');

    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
      '/v1/models/gemini-2.5-flash:generateContent',
    ]);
    expect(server.requests.map((r) => r.response?.status)).toEqual([200, 200, 200]);
    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: responses and stream chunks',
          from: '@google/genai',
          type: RESPONSE_TYPE,
          enumsAsStrings: true,
          values: server.requests.flatMap(
            (r) => r.response?.events ?? (r.response?.body ? [r.response.body] : []),
          ),
        },
        {
          label: 'SDK -> fake: request bodies (checks the request type itself)',
          from: '@google/genai',
          type: REQUEST_TYPE,
          enumsAsStrings: true,
          values: server.requests.map((r) => r.body),
        },
      ]),
    ).toEqual([]);
  });

  it('serves v1beta too, for clients pinned to it', async () => {
    const beta = new GoogleGenAI({
      apiKey: KEY,
      httpOptions: { baseUrl: server.origin, apiVersion: 'v1beta' },
    });
    expect((await beta.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })).text).toBe(
      'Hello from the fake server.',
    );
    expect(server.lastRequest?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
  });

  it('answers a bad key the way the SDK reports it (ApiError 400 API_KEY_INVALID)', async () => {
    const bad = new GoogleGenAI({ apiKey: 'wrong', httpOptions: { baseUrl: server.origin } });
    const err = await bad.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e) => e);
    expect(err).toMatchObject({ name: 'ApiError', status: 400 });
    expect(String(err.message)).toContain('API_KEY_INVALID');
  });

  it('our GeminiProvider sends request bodies of the SDK types, on v1 like the SDK', async () => {
    await ourToolRoundTrip(server, new GeminiProvider({ apiKey: KEY, baseUrl: `${server.origin}/v1` }));
    expect(server.requests.map((r) => r.response?.status)).toEqual([200, 200, 200]);
    expect(server.requests[0].path).toBe('/v1/models/gemini-2.5-flash:streamGenerateContent');
    expect(
      shapeProblems([
        {
          label: 'GeminiProvider -> fake: request bodies',
          from: '@google/genai',
          type: REQUEST_TYPE,
          enumsAsStrings: true,
          values: server.requests.map((r) => r.body),
        },
      ]),
    ).toEqual([]);
  });
});
