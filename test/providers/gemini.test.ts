import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/core/errors.js';
import { mapFinishReason, synthesizeCallId } from '../../src/providers/gemini/gemini-mapping.js';
import { GeminiProvider } from '../../src/providers/gemini/index.js';
import { FakeGeminiServer } from '../../src/testing/fake-ai/index.js';
import { collect, readJSON, runAIProviderConformance, weatherTool } from '../conformance/ai-provider.js';

runAIProviderConformance('gemini', () => ({
  server: new FakeGeminiServer(),
  createProvider: ({ baseUrl, apiKey }) => new GeminiProvider({ baseUrl, apiKey }),
  read: {
    systemPrompt: (body) => body.systemInstruction?.parts?.[0]?.text,
    temperature: (body) => body.generationConfig?.temperature,
    maxTokens: (body) => body.generationConfig?.maxOutputTokens,
    toolNames: (body) => (body.tools?.[0]?.functionDeclarations ?? []).map((f: any) => f.name),
    toolResult: (body, call) => {
      const last = body.contents.at(-1);
      if (last.role !== 'user') return undefined;
      return last.parts.find((p: any) => p.functionResponse?.name === call.name)?.functionResponse.response
        .output;
    },
  },
}));

describe('GeminiProvider wire details', () => {
  const server = new FakeGeminiServer({ apiKey: 'AIza-test' });
  const provider = (extra: Partial<ConstructorParameters<typeof GeminiProvider>[0]> = {}) =>
    new GeminiProvider({ baseUrl: server.baseUrl, apiKey: 'AIza-test', ...extra });
  const body = () => server.lastRequest?.body as Record<string, any>;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('posts to models/{model}:generateContent and :streamGenerateContent?alt=sse with x-goog-api-key', async () => {
    await provider().generate({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.lastRequest!.path).toBe('/v1/models/gemini-2.5-flash:generateContent');
    expect(server.lastRequest!.headers['x-goog-api-key']).toBe('AIza-test');
    expect(server.lastRequest!.query).toEqual({});
    expect(body()).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

    await collect(
      provider({ model: 'gemini-2.5-pro' }).stream({ messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(server.lastRequest!.path).toBe('/v1/models/gemini-2.5-pro:streamGenerateContent');
    expect(server.lastRequest!.query).toEqual({ alt: 'sse' });
  });

  it('maps roles, tool declarations, function calls and responses, and echoes thought signatures', async () => {
    const answers: any[] = [];
    const recordingFetch = async (input: string | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      answers.push(await response.clone().json());
      return response;
    };
    server.enqueue({
      text: 'Looking.',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_weather', arguments: { city: 'Rome' } },
      ],
    });
    const p = provider({ fetch: recordingFetch });
    const first = await p.generate({
      messages: [{ role: 'user', content: 'Paris and Rome?' }],
      tools: [weatherTool],
    });
    expect(first.finishReason).toBe('tool_calls');
    const [paris, rome] = first.toolCalls;
    expect(paris.id).not.toBe(rome.id);
    const signature = answers[0].candidates[0].content.parts[1].thoughtSignature;
    expect(signature).toMatch(/\S/);

    await p.generate({
      systemPrompt: 'Be brief.',
      temperature: 0.2,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Paris and Rome?' },
        { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: paris.id, name: 'get_weather', content: 'sunny' },
        { role: 'tool', toolCallId: rome.id, name: 'get_weather', content: 'no station', isError: true },
      ],
    });
    expect(body()).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.2 },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: weatherTool.description,
              parametersJsonSchema: weatherTool.parameters,
            },
          ],
        },
      ],
      contents: [
        { role: 'user', parts: [{ text: 'Paris and Rome?' }] },
        {
          role: 'model',
          parts: [
            { text: 'Looking.' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: signature },
            { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
            { functionResponse: { name: 'get_weather', response: { error: 'no station' } } },
          ],
        },
      ],
    });
  });

  it('synthesised call ids are stable for the same answer and differ by position and turn', () => {
    const a = synthesizeCallId('resp1', 0, 'f', { x: 1 });
    expect(synthesizeCallId('resp1', 0, 'f', { x: 1 })).toBe(a);
    expect(synthesizeCallId('resp1', 1, 'f', { x: 1 })).not.toBe(a);
    expect(synthesizeCallId('resp2', 0, 'f', { x: 1 })).not.toBe(a);
    expect(a).toMatch(/^call_[0-9a-f]{8}_0$/);
  });

  it('maps finish reasons, treating STOP with function calls as tool_calls', () => {
    expect(mapFinishReason('STOP', false)).toBe('stop');
    expect(mapFinishReason('STOP', true)).toBe('tool_calls');
    expect(mapFinishReason('MAX_TOKENS', false)).toBe('length');
    expect(mapFinishReason('SAFETY', false)).toBe('content_filter');
    expect(mapFinishReason('MALFORMED_FUNCTION_CALL', false)).toBe('error');
    expect(mapFinishReason('SOMETHING_NEW', false)).toBe('other');
  });

  it('a wrong key (400 API_KEY_INVALID) is an AuthenticationError; other 400s are not', async () => {
    const err = await provider({ apiKey: 'bad' })
      .generate({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(400);
    expect((err as AuthenticationError).message).toBe(
      'gemini: API key not valid. Please pass a valid API key.',
    );
  });

  it('the fake speaks the exact wire format: CRLF SSE chunks, JSON array streams, google.rpc errors', async () => {
    const url = (method: string, query = '') => `${server.baseUrl}/models/gemini-x:${method}${query}`;
    const post = (target: string, headers: Record<string, string>, payload: unknown) =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      });
    const request = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

    server.enqueue({ text: 'one two three', usage: { inputTokens: 3, outputTokens: 3 } });
    const sse = await (
      await post(url('streamGenerateContent', '?alt=sse'), { 'x-goog-api-key': 'AIza-test' }, request)
    ).text();
    const events = sse.split('\r\n\r\n').filter(Boolean);
    expect(events).toHaveLength(3);
    const chunks = events.map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe('one two three');
    expect(chunks.map((c) => c.candidates[0].finishReason)).toEqual([undefined, undefined, 'STOP']);
    expect(chunks[2]).toMatchObject({
      candidates: [{ content: { role: 'model' }, index: 0 }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 3, totalTokenCount: 6 },
      modelVersion: 'gemini-x',
    });
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1);

    server.enqueue({ text: 'a b' });
    const array = await readJSON(await post(url('streamGenerateContent', '?key=AIza-test'), {}, request));
    expect(Array.isArray(array)).toBe(true);
    expect(array).toHaveLength(2);

    const missing = await post(url('generateContent'), {}, request);
    expect(missing.status).toBe(403);
    expect((await readJSON(missing)).error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    const wrong = await post(url('generateContent'), { 'x-goog-api-key': 'nope' }, request);
    expect(wrong.status).toBe(400);
    const wrongBody = await readJSON(wrong);
    expect(wrongBody.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(wrongBody.error.details[0]).toMatchObject({ reason: 'API_KEY_INVALID', domain: 'googleapis.com' });
    const badRole = await post(
      url('generateContent'),
      { 'x-goog-api-key': 'AIza-test' },
      {
        contents: [{ role: 'assistant', parts: [{ text: 'x' }] }],
      },
    );
    expect((await readJSON(badRole)).error.message).toBe('Please use a valid role: user, model.');
    server.enqueue({ error: { status: 503, message: 'The model is overloaded.' } });
    const overloaded = await post(url('generateContent'), { 'x-goog-api-key': 'AIza-test' }, request);
    expect(await readJSON(overloaded)).toEqual({
      error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' },
    });
  });
});
