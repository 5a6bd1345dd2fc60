/**
 * Referee: the official `@anthropic-ai/sdk` against FakeAnthropicServer. A streamed message
 * that uses a tool, the tool result, the streamed answer; then the same through our
 * AnthropicProvider, whose requests must be ones the SDK could have sent.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { FakeAnthropicServer } from '../../src/testing/fake-ai/index.js';
import { ourToolRoundTrip } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'sk-ant-referee';
const weather: Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('@anthropic-ai/sdk referees FakeAnthropicServer (messages)', TYPE_CHECK_TIMEOUT, () => {
  const server = new FakeAnthropicServer({ apiKey: KEY });
  let client: Anthropic;

  beforeAll(async () => {
    client = new Anthropic({ apiKey: KEY, baseURL: await server.start(), maxRetries: 0, timeout: 10_000 });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  it('streams a tool use, takes the result and streams the answer, all in the SDK types', async () => {
    server.enqueue(
      { text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
      { text: 'It is sunny in Paris today.' },
    );
    const messages: MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];

    // The SDK's MessageStream accumulates the events and throws on any it cannot place.
    const first = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages,
      tools: [weather],
    });
    const jsonDeltas: string[] = [];
    first.on('inputJson', (delta) => jsonDeltas.push(delta));
    const toolTurn = await first.finalMessage();
    expect(toolTurn.stop_reason).toBe('tool_use');
    const toolUse = toolTurn.content.find((b) => b.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(toolUse.input).toEqual({ city: 'Paris' });
    expect(jsonDeltas.join('')).toBe('{"city":"Paris"}');

    messages.push(
      { role: 'assistant', content: toolTurn.content },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '{"sky":"sunny"}' }],
      },
    );
    const events: RawMessageStreamEvent[] = [];
    const answer = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages,
      tools: [weather],
      stream: true,
    });
    for await (const event of answer) events.push(event);
    const text = events
      .map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''))
      .join('');
    expect(text).toBe('It is sunny in Paris today.');

    const plain = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages });
    expect(plain.content).toEqual([{ type: 'text', text: 'Hello from the fake server.', citations: null }]);

    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.headers['anthropic-version']).toBeTruthy();
    }
    expect(server.requests.map((r) => r.response?.status)).toEqual([200, 200, 200]);
    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: stream events',
          from: '@anthropic-ai/sdk/resources/messages',
          type: 'RawMessageStreamEvent',
          // `ping` is an SSE keep-alive the SDK skips before parsing; it has no type in the SDK.
          values: server.requests
            .flatMap((r) => r.response?.events ?? [])
            .filter((e: any) => e.type !== 'ping'),
        },
        {
          label: 'fake -> SDK: message',
          from: '@anthropic-ai/sdk/resources/messages',
          type: 'Message',
          values: server.requests.flatMap((r) => (r.response?.body ? [r.response.body] : [])),
        },
      ]),
    ).toEqual([]);
  });

  it('answers a bad key with the error the SDK maps to AuthenticationError', async () => {
    const bad = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: server.baseUrl, maxRetries: 0 });
    const err = await bad.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('rejects what API 2026-10-21 rejects: sampling parameters, with the SDK BadRequestError', async () => {
    // The SDK no longer types temperature; a caller can still smuggle it in, and the API says 400.
    const body = { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };
    const err = await client.messages.create({ ...body, temperature: 0.5 } as any).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('temperature: Extra inputs are not permitted');
  });

  it('our AnthropicProvider sends only requests the SDK could send', async () => {
    await ourToolRoundTrip(server, new AnthropicProvider({ apiKey: KEY, baseUrl: server.baseUrl }));
    expect(server.requests.map((r) => r.response?.status)).toEqual([200, 200, 200]);
    expect(
      shapeProblems([
        {
          label: 'AnthropicProvider -> fake: request bodies',
          from: '@anthropic-ai/sdk/resources/messages',
          type: 'MessageCreateParams',
          values: server.requests.map((r) => r.body),
        },
      ]),
    ).toEqual([]);
  });
});
