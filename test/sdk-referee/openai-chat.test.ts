/**
 * Referee: the official `openai` SDK against FakeOpenAIServer. A streamed chat that calls a
 * tool, the tool result, the streamed answer; then the same conversation through our
 * OpenAIProvider, whose requests must be ones the SDK itself could have sent.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../src/providers/openai/index.js';
import { FakeOpenAIServer } from '../../src/testing/fake-ai/index.js';
import { ourToolRoundTrip } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'sk-referee-1';
const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('openai SDK referees FakeOpenAIServer (chat completions)', TYPE_CHECK_TIMEOUT, () => {
  const server = new FakeOpenAIServer({ apiKey: KEY });
  let client: OpenAI;

  beforeAll(async () => {
    client = new OpenAI({ apiKey: KEY, baseURL: await server.start(), maxRetries: 0, timeout: 10_000 });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('streams a tool call, takes the result and streams the answer, all in the SDK types', async () => {
    server.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris today.' },
    );
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];

    // The SDK's stream helper accumulates the chunks and throws on any inconsistency.
    const first = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages,
      tools: [weather],
      stream_options: { include_usage: true },
    });
    const argsDone: string[] = [];
    first.on('tool_calls.function.arguments.done', (e) => argsDone.push(e.arguments));
    const toolTurn = await first.finalChatCompletion();
    const call = toolTurn.choices[0].message.tool_calls?.[0];
    expect(toolTurn.choices[0].finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(argsDone).toEqual([call.function.arguments]);
    expect(toolTurn.usage?.total_tokens).toBeGreaterThan(0);

    messages.push(toolTurn.choices[0].message, {
      role: 'tool',
      tool_call_id: call.id,
      content: '{"sky":"sunny"}',
    });
    const chunks: ChatCompletionChunk[] = [];
    const answer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      tools: [weather],
      stream: true,
    });
    for await (const chunk of answer) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('It is sunny in Paris today.');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');

    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(plain.choices[0].message.content).toBe('Hello from the fake server.');

    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: stream chunks',
          from: 'openai/resources/chat/completions',
          type: 'ChatCompletionChunk',
          values: server.requests.flatMap((r) => (r.response?.events ?? []).filter((e) => e !== '[DONE]')),
        },
        {
          label: 'fake -> SDK: completion',
          from: 'openai/resources/chat/completions',
          type: 'ChatCompletion',
          values: server.requests.flatMap((r) => (r.response?.body ? [r.response.body] : [])),
        },
      ]),
    ).toEqual([]);
    expect(server.requests.map((r) => r.response?.status)).toEqual([200, 200, 200]);
  });

  it('answers a bad key with the error the SDK maps to AuthenticationError', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong-key-000', baseURL: server.baseUrl, maxRetries: 0 });
    const err = await bad.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('our OpenAIProvider sends only requests the SDK could send, with the same auth', async () => {
    await ourToolRoundTrip(server, new OpenAIProvider({ apiKey: KEY, baseUrl: server.baseUrl }));
    for (const r of server.requests) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(
      shapeProblems([
        {
          label: 'OpenAIProvider -> fake: request bodies',
          from: 'openai/resources/chat/completions',
          type: 'ChatCompletionCreateParams',
          values: server.requests.map((r) => r.body),
        },
      ]),
    ).toEqual([]);
  });
});
