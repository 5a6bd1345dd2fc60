import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthenticationError, ProviderError } from '../../src/core/errors.js';
import { ChatStreamTranslator } from '../../src/providers/openai/chat-stream.js';
import { OpenAIProvider } from '../../src/providers/openai/index.js';
import { FakeOpenAIServer } from '../../src/testing/fake-ai/index.js';
import { collect, readJSON, runAIProviderConformance, weatherTool } from '../conformance/ai-provider.js';

runAIProviderConformance('openai', () => ({
  server: new FakeOpenAIServer(),
  createProvider: ({ baseUrl, apiKey }) => new OpenAIProvider({ baseUrl, apiKey }),
  read: {
    systemPrompt: (body) => (body.messages[0].role === 'system' ? body.messages[0].content : undefined),
    temperature: (body) => body.temperature,
    maxTokens: (body) => body.max_completion_tokens,
    toolNames: (body) => (body.tools ?? []).map((t: any) => t.type === 'function' && t.function.name),
    toolResult: (body, call) =>
      body.messages.find((m: any) => m.role === 'tool' && m.tool_call_id === call.id)?.content,
  },
}));

describe('OpenAIProvider wire details', () => {
  const server = new FakeOpenAIServer({ apiKey: 'sk-test-123' });
  const provider = (extra: Partial<ConstructorParameters<typeof OpenAIProvider>[0]> = {}) =>
    new OpenAIProvider({ baseUrl: server.baseUrl, apiKey: 'sk-test-123', ...extra });
  const body = () => server.lastRequest?.body as Record<string, any>;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('posts to {baseUrl}/chat/completions with Bearer auth, organization and extra headers', async () => {
    await provider({ organization: 'org-42', headers: { 'x-trace': 'abc' } }).generate({
      messages: [{ role: 'user', content: 'hi', name: 'alice' }],
    });
    const request = server.lastRequest!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test-123');
    expect(request.headers['openai-organization']).toBe('org-42');
    expect(request.headers['x-trace']).toBe('abc');
    expect(body()).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi', name: 'alice' }],
    });
  });

  it('asks for usage in streams and can use the older max_tokens field', async () => {
    await collect(
      provider({ maxTokensField: 'max_tokens', model: 'llama3' }).stream({
        messages: [{ role: 'user', content: 'hi' }],
        maxTokens: 5,
      }),
    );
    expect(body()).toMatchObject({
      model: 'llama3',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
    });
    expect(body().max_completion_tokens).toBeUndefined();
  });

  it('sends assistant tool_calls with JSON-string arguments and null content, and tool messages', async () => {
    server.enqueue({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
    const first = await provider().generate({
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [weatherTool],
    });
    const call = first.toolCalls[0];
    expect(call.id).toMatch(/^call_/);
    expect(first.text).toBe('');
    await provider().generate({
      systemPrompt: 'Be brief.',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', toolCallId: call.id, name: call.name, content: 'no data', isError: true },
      ],
    });
    expect(body().messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: call.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: call.id, content: 'Error: no data' },
    ]);
    expect(body().tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: weatherTool.description,
          parameters: weatherTool.parameters,
        },
      },
    ]);
  });

  it('the fake rejects a tool message with no preceding tool_calls, with the API message', async () => {
    const err = await provider()
      .generate({ messages: [{ role: 'tool', toolCallId: 'call_x', name: 'f', content: 'r' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).message).toContain(
      "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
    );
  });

  it('providerName names the vendor in errors when pointing at another compatible server', async () => {
    const err = await provider({ providerName: 'groq', apiKey: 'nope' })
      .generate({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toMatch(/^groq: Incorrect API key provided: /);
  });

  it('the fake speaks the exact wire format: completion JSON, chunk stream, usage chunk, [DONE], errors', async () => {
    const post = (headers: Record<string, string>, payload: unknown) =>
      fetch(`${server.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      });
    const auth = { authorization: 'Bearer sk-test-123' };
    const request = { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }] };

    server.enqueue({ text: 'Hello', usage: { inputTokens: 4, outputTokens: 1 } });
    const completion = await readJSON(await post(auth, request));
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-x',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello' }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);

    server.enqueue({
      toolCalls: [
        { name: 'f', arguments: { a: 1 } },
        { name: 'g', arguments: {} },
      ],
    });
    const stream = await post(auth, { ...request, stream: true, stream_options: { include_usage: true } });
    const datas = [...(await stream.text()).matchAll(/^data: (.+)\n\n/gm)].map((m) => m[1]);
    expect(datas.at(-1)).toBe('[DONE]');
    const chunks = datas.slice(0, -1).map((d) => JSON.parse(d));
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.total_tokens).toBeGreaterThan(0);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: null, refusal: null });
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas.filter((d: any) => d.id).map((d: any) => [d.index, d.function.name])).toEqual([
      [0, 'f'],
      [1, 'g'],
    ]);
    const argsOf = (i: number) =>
      toolDeltas
        .filter((d: any) => d.index === i)
        .map((d: any) => d.function.arguments)
        .join('');
    expect(argsOf(0)).toBe('{"a":1}');

    const missing = await post({}, request);
    expect(missing.status).toBe(401);
    expect((await readJSON(missing)).error).toMatchObject({
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    const wrong = await post({ authorization: 'Bearer sk-wrong-key-0000' }, request);
    expect((await readJSON(wrong)).error).toMatchObject({
      code: 'invalid_api_key',
      message: expect.stringMatching(/0000\./),
    });
    server.enqueue({ error: { status: 429, message: 'Rate limit reached' } });
    expect((await readJSON(await post(auth, request))).error).toEqual({
      message: 'Rate limit reached',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
  });
});

describe('OpenAI stream translation', () => {
  it('an error object mid-stream throws a ProviderError naming the provider', () => {
    const translator = new ChatStreamTranslator('openai');
    const chunk = {
      id: 'x',
      object: 'chat.completion.chunk' as const,
      error: { message: 'boom', type: 'server_error' },
    };
    expect(() => [...translator.push(chunk)]).toThrow(
      expect.objectContaining({ message: 'openai: boom', retryable: true }),
    );
  });

  it('a stream that ends before any finish_reason is an incomplete, retryable error', () => {
    const translator = new ChatStreamTranslator('openai');
    const chunk = {
      id: 'x',
      object: 'chat.completion.chunk' as const,
      choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }],
    };
    expect([...translator.push(chunk)]).toEqual([{ type: 'text-delta', text: 'Hel' }]);
    expect(() => [...translator.end()]).toThrow(expect.objectContaining({ code: 'incomplete_stream' }));
  });

  it('accepts servers that end without [DONE] or a usage chunk', () => {
    const translator = new ChatStreamTranslator('compat');
    const chunk = {
      id: 'x',
      object: 'chat.completion.chunk' as const,
      choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
    };
    expect([...translator.push(chunk), ...translator.end()]).toEqual([
      { type: 'finish', finishReason: 'length', usage: undefined },
    ]);
  });
});
