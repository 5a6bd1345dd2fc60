import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { AnthropicAIProvider, AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { mapStopReason } from '../../src/providers/anthropic/messages-mapping.js';
import { MessagesStreamTranslator } from '../../src/providers/anthropic/messages-stream.js';
import { FakeAnthropicServer } from '../../src/testing/fake-ai/index.js';
import { collect, readJSON, runAIProviderConformance, weatherTool } from '../conformance/ai-provider.js';

runAIProviderConformance('anthropic', () => ({
  server: new FakeAnthropicServer(),
  createProvider: ({ baseUrl, apiKey }) => new AnthropicProvider({ baseUrl, apiKey }),
  noTemperature: true,
  read: {
    systemPrompt: (body) => body.system,
    temperature: (body) => body.temperature,
    maxTokens: (body) => body.max_tokens,
    toolNames: (body) => (body.tools ?? []).map((t: { name: string }) => t.name),
    toolResult: (body, call) => {
      const last = body.messages.at(-1);
      if (last.role !== 'user') return undefined;
      const block = last.content.find((b: any) => b.type === 'tool_result' && b.tool_use_id === call.id);
      return block?.content;
    },
  },
}));

describe('AnthropicProvider wire details', () => {
  const server = new FakeAnthropicServer({ apiKey: 'sk-ant-test' });
  const provider = () => new AnthropicProvider({ baseUrl: server.baseUrl, apiKey: 'sk-ant-test' });
  const body = () => server.lastRequest?.body as Record<string, any>;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('posts to /v1/messages with a bearer key, anthropic-version 2026-10-21, the default model and max_tokens', async () => {
    await provider().generate({ messages: [{ role: 'user', content: 'hi' }] });
    const request = server.lastRequest!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers.authorization).toBe('Bearer sk-ant-test');
    expect(request.headers['x-api-key']).toBeUndefined();
    expect(request.headers['anthropic-version']).toBe('2026-10-21');
    expect(request.headers['content-type']).toBe('application/json');
    expect(body()).toEqual({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('honours model, maxTokens, anthropicVersion and extra headers options, and sets stream: true', async () => {
    const custom = new AnthropicProvider({
      baseUrl: `${server.baseUrl}/`,
      apiKey: 'sk-ant-test',
      model: 'claude-haiku-4-5',
      maxTokens: 99,
      anthropicVersion: '2023-06-01',
      headers: { 'anthropic-beta': 'some-feature' },
    });
    await collect(custom.stream({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(server.lastRequest!.path).toBe('/v1/messages');
    expect(server.lastRequest!.headers['anthropic-version']).toBe('2023-06-01');
    expect(server.lastRequest!.headers['anthropic-beta']).toBe('some-feature');
    expect(body()).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 99, stream: true });
  });

  it('regression: temperature under API 2026-10-21 is not sent (the API answers 400), under 2023-06-01 it is', async () => {
    const warnings: unknown[] = [];
    const logger = { debug() {}, warn: (obj: unknown) => warnings.push(obj) };
    const current = new AnthropicProvider({ baseUrl: server.baseUrl, apiKey: 'sk-ant-test', logger });
    expect(
      (await current.generate({ messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 })).text,
    ).toBe('Hello from the fake server.');
    expect(body().temperature).toBeUndefined();
    expect(warnings).toEqual([{ anthropicVersion: '2026-10-21' }]);
    const pinned = new AnthropicProvider({
      baseUrl: server.baseUrl,
      apiKey: 'sk-ant-test',
      anthropicVersion: '2023-06-01',
    });
    await pinned.generate({ messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 });
    expect(body().temperature).toBe(0.2);
  });

  it('an unknown option is a ValidationError, not silently ignored; AnthropicAIProvider is the same class', () => {
    const opts = { apiKey: 'k', anthropic_version: '2023-06-01' } as Record<string, unknown>;
    expect(() => new AnthropicProvider(opts)).toThrow(
      /unknown option "anthropic_version" \(did you mean "anthropicVersion"\?\)/,
    );
    expect(AnthropicAIProvider).toBe(AnthropicProvider);
  });

  it('merges consecutive same-role turns: tool results and a user remark become one user turn', async () => {
    server.enqueue({
      text: 'Checking both.',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_weather', arguments: { city: 'Oslo' } },
      ],
    });
    const first = await provider().generate({
      messages: [{ role: 'user', content: 'Paris and Oslo?' }],
      tools: [weatherTool],
    });
    const [paris, oslo] = first.toolCalls;
    expect(paris.id).toMatch(/^toolu_/);
    const second = await provider().generate({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Paris and Oslo?' },
        { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: paris.id, name: 'get_weather', content: 'sunny' },
        { role: 'tool', toolCallId: oslo.id, name: 'get_weather', content: 'station offline', isError: true },
        { role: 'user', content: 'Thanks!' },
      ],
    });
    expect(second.text).toBe('Hello from the fake server.');
    expect(body().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Paris and Oslo?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: paris.id, name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: oslo.id, name: 'get_weather', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: paris.id, content: 'sunny' },
          { type: 'tool_result', tool_use_id: oslo.id, content: 'station offline', is_error: true },
          { type: 'text', text: 'Thanks!' },
        ],
      },
    ]);
    expect(body().tools).toEqual([
      { name: 'get_weather', description: weatherTool.description, input_schema: weatherTool.parameters },
    ]);
  });

  it('the fake rejects a tool_result with no matching tool_use, as the API does', async () => {
    const err = await provider()
      .generate({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'tool', toolCallId: 'toolu_missing', name: 'x', content: 'y' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toContain(
      'unexpected `tool_use_id` found in `tool_result` blocks: toolu_missing',
    );
  });

  it('the fake speaks the exact wire format: message JSON, event names matching data.type, error bodies', async () => {
    const post = (headers: Record<string, string>, payload: unknown) =>
      fetch(`${server.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      });
    const auth = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };
    const request = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

    server.enqueue({ text: 'Hi there', usage: { inputTokens: 3, outputTokens: 2 } });
    const message = await readJSON(await post(auth, request));
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [{ type: 'text', text: 'Hi there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 2 },
    });
    expect(message.id).toMatch(/^msg_01/);

    server.enqueue({ text: 'Hi there', toolCalls: [{ name: 'f', arguments: { a: 1 } }] });
    const response = await post(auth, { ...request, stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = [...(await response.text()).matchAll(/event: (\S+)\ndata: (.+)\n\n/g)];
    const names = events.map((m) => m[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      ...Array(names.length - 10).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const [, name, data] of events) expect(JSON.parse(data).type).toBe(name);
    const toolStart = JSON.parse(events[6][2]);
    expect(toolStart).toMatchObject({ index: 1, content_block: { type: 'tool_use', name: 'f', input: {} } });
    expect(JSON.parse(events.at(-2)![2])).toMatchObject({
      delta: { stop_reason: 'tool_use', stop_sequence: null },
    });

    const missingKey = await post({ 'anthropic-version': '2023-06-01' }, request);
    expect(missingKey.status).toBe(401);
    expect(await readJSON(missingKey)).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: 'x-api-key header is required' },
    });
    const missingVersion = await post({ 'x-api-key': 'sk-ant-test' }, request);
    expect(missingVersion.status).toBe(400);
    expect((await readJSON(missingVersion)).error).toEqual({
      type: 'invalid_request_error',
      message: 'anthropic-version: header is required',
    });
    server.enqueue({ error: { status: 529, message: 'Overloaded' } });
    const overloaded = await post(auth, request);
    expect(overloaded.status).toBe(529);
    expect((await readJSON(overloaded)).error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
  });
});

describe('Anthropic stream translation', () => {
  it('an error event mid-stream throws a ProviderError, retryable when overloaded', () => {
    const translator = new MessagesStreamTranslator('anthropic');
    const parts = [
      ...translator.push({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Hi' },
      }),
    ];
    expect(parts).toEqual([{ type: 'text-delta', text: 'Hi' }]);
    const overloaded = () => [
      ...translator.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ];
    expect(overloaded).toThrow(expect.objectContaining({ code: 'overloaded_error', retryable: true }));
    const invalid = () => [
      ...translator.push({ type: 'error', error: { type: 'invalid_request_error', message: 'bad' } }),
    ];
    expect(invalid).toThrow(expect.objectContaining({ message: 'anthropic: bad', retryable: false }));
  });

  it('a stream that ends without message_stop is an incomplete, retryable error', () => {
    const translator = new MessagesStreamTranslator('anthropic');
    [
      ...translator.push({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 3 },
      }),
    ];
    expect(() => translator.end()).toThrow(
      expect.objectContaining({ code: 'incomplete_stream', retryable: true }),
    );
  });

  it('counts cached prompt tokens as input and maps stop reasons', () => {
    const translator = new MessagesStreamTranslator('anthropic');
    const start = {
      type: 'message_start' as const,
      message: {
        id: 'msg_1',
        type: 'message' as const,
        role: 'assistant' as const,
        model: 'm',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 5,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 10,
          output_tokens: 1,
        },
      },
    };
    const parts = [
      ...translator.push(start),
      ...translator.push({
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens' },
        usage: { output_tokens: 42 },
      }),
      ...translator.push({ type: 'message_stop' }),
    ];
    expect(parts).toEqual([
      { type: 'finish', finishReason: 'length', usage: { inputTokens: 115, outputTokens: 42 } },
    ]);
    expect(mapStopReason('refusal')).toBe('content_filter');
    expect(mapStopReason('tool_use')).toBe('tool_calls');
    expect(mapStopReason('pause_turn')).toBe('other');
  });
});
