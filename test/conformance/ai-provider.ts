/**
 * The conformance suite every AI vendor provider runs against its fake server: the same
 * behaviours, checked over real HTTP on 127.0.0.1, whatever the wire format underneath.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AIProvider, AIStreamPart, AIToolCall, AIToolDefinition } from '../../src/ai/types.js';
import { AuthenticationError, ProviderError, RateLimitError } from '../../src/core/errors.js';
import type { FakeAIServer } from '../../src/testing/fake-ai/index.js';

type Body = Record<string, any>;

export interface AIProviderConformanceSetup {
  /** A fresh, not yet started fake server for this vendor. */
  server: FakeAIServer;
  createProvider(opts: { baseUrl: string; apiKey: string }): AIProvider;
  /** The vendor's current API version rejects sampling parameters: temperature must not be sent. */
  noTemperature?: boolean;
  /** Where this vendor puts each thing in a request body. */
  read: {
    systemPrompt(body: Body): string | undefined;
    temperature(body: Body): number | undefined;
    maxTokens(body: Body): number | undefined;
    toolNames(body: Body): string[];
    /** The content of the tool result answering `call`, found the vendor's way; undefined if absent. */
    toolResult(body: Body, call: AIToolCall): string | undefined;
  };
}

export const weatherTool: AIToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer' } },
    required: ['city'],
  },
};

const timeTool: AIToolDefinition = {
  name: 'get_time',
  description: 'Current time in a time zone',
  parameters: { type: 'object', properties: { zone: { type: 'string' } } },
};

export async function collect(stream: AsyncIterable<AIStreamPart>): Promise<AIStreamPart[]> {
  const parts: AIStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** A JSON body for wire-format assertions, where the exact shape is what is under test. */
export async function readJSON(response: Response): Promise<any> {
  return response.json();
}

function textOf(parts: AIStreamPart[]): string {
  return parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const user = (content: string) => ({ role: 'user' as const, content });

export function runAIProviderConformance(name: string, setup: () => AIProviderConformanceSetup): void {
  describe(`AIProvider conformance: ${name}`, () => {
    const { server, createProvider, read, noTemperature } = setup();
    let provider: AIProvider;
    const lastBody = () => server.lastRequest?.body as Body;

    beforeAll(async () => {
      await server.start();
    });
    afterAll(async () => {
      await server.stop();
    });
    beforeEach(() => {
      server.reset();
      provider = createProvider({ baseUrl: server.baseUrl, apiKey: server.apiKey });
    });

    it('declares its name, model and streaming support', () => {
      expect(provider.name).toBe(name);
      expect(provider.model.length).toBeGreaterThan(0);
      expect(provider.supportsStreaming).toBe(true);
      expect(typeof provider.stream).toBe('function');
    });

    it('generate returns the scripted text, finish reason and usage', async () => {
      server.enqueue({ text: 'Hello there, world.', usage: { inputTokens: 12, outputTokens: 5 } });
      const response = await provider.generate({ messages: [user('hi')] });
      expect(response).toEqual({
        text: 'Hello there, world.',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 12, outputTokens: 5 },
      });
      expect(server.requests).toHaveLength(1);
    });

    it('streamed text arrives as several deltas that join to the full text, then one finish last', async () => {
      const text = 'The quick brown fox jumps over the lazy dog.';
      server.enqueue({ text, usage: { inputTokens: 20, outputTokens: 9 } });
      const parts = await collect(provider.stream!({ messages: [user('tell me')] }));
      const deltas = parts.filter((p) => p.type === 'text-delta');
      expect(deltas.length).toBeGreaterThan(1);
      expect(textOf(parts)).toBe(text);
      expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
      expect(parts.at(-1)).toEqual({
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: 20, outputTokens: 9 },
      });
    });

    it('streams non-ASCII text one character per delta without garbling it', async () => {
      const text = 'Grüße 日本 🎉!';
      server.enqueue({ text, chunkSize: 1 });
      const parts = await collect(provider.stream!({ messages: [user('unicode')] }));
      expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(Array.from(text).length);
      expect(textOf(parts)).toBe(text);
    });

    it('maps a length stop to finishReason length', async () => {
      server.enqueue({ text: 'cut', finishReason: 'length' }, { text: 'cut', finishReason: 'length' });
      expect((await provider.generate({ messages: [user('x')] })).finishReason).toBe('length');
      expect((await collect(provider.stream!({ messages: [user('x')] }))).at(-1)).toMatchObject({
        finishReason: 'length',
      });
    });

    it('generate returns a tool call with parsed arguments and sends the tool definitions', async () => {
      server.enqueue({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', days: 2 } }] });
      const response = await provider.generate({ messages: [user('weather?')], tools: [weatherTool] });
      expect(response.finishReason).toBe('tool_calls');
      expect(response.toolCalls).toHaveLength(1);
      expect(response.toolCalls[0]).toMatchObject({
        name: 'get_weather',
        arguments: { city: 'Paris', days: 2 },
      });
      expect(response.toolCalls[0].id).toMatch(/\S/);
      expect(read.toolNames(lastBody())).toEqual(['get_weather']);
    });

    it('streams text then several tool calls, each complete with parsed arguments', async () => {
      server.enqueue({
        text: 'Let me check that.',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris', days: 2 } },
          { name: 'get_time', arguments: { zone: 'Europe/Paris' } },
        ],
      });
      const parts = await collect(
        provider.stream!({ messages: [user('weather?')], tools: [weatherTool, timeTool] }),
      );
      expect(textOf(parts)).toBe('Let me check that.');
      const calls = parts.flatMap((p) => (p.type === 'tool-call' ? [p.toolCall] : []));
      expect(calls.map((c) => [c.name, c.arguments])).toEqual([
        ['get_weather', { city: 'Paris', days: 2 }],
        ['get_time', { zone: 'Europe/Paris' }],
      ]);
      expect(new Set(calls.map((c) => c.id)).size).toBe(2);
      expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    });

    it('sending the tool result back yields the final text, with the result in the vendor shape', async () => {
      server.enqueue(
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
        { text: 'It is sunny in Paris.' },
      );
      const first = await provider.generate({ messages: [user('weather in Paris?')], tools: [weatherTool] });
      const call = first.toolCalls[0];
      const parts = await collect(
        provider.stream!({
          tools: [weatherTool],
          messages: [
            user('weather in Paris?'),
            { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
            { role: 'tool', toolCallId: call.id, name: call.name, content: 'sunny, 21C' },
          ],
        }),
      );
      expect(textOf(parts)).toBe('It is sunny in Paris.');
      expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
      expect(read.toolResult(lastBody(), call)).toBe('sunny, 21C');
    });

    it('puts the system prompt where the vendor expects it', async () => {
      await provider.generate({ messages: [user('hi')], systemPrompt: 'You are terse.' });
      expect(read.systemPrompt(lastBody())).toBe('You are terse.');
      await provider.generate({ messages: [user('hi')] });
      expect(read.systemPrompt(lastBody())).toBeUndefined();
    });

    it('sends max tokens, and temperature unless the API version forbids it', async () => {
      const answer = await provider.generate({ messages: [user('hi')], temperature: 0.3, maxTokens: 77 });
      expect(answer.text).toBe('Hello from the fake server.');
      expect(read.temperature(lastBody())).toBe(noTemperature ? undefined : 0.3);
      expect(read.maxTokens(lastBody())).toBe(77);
    });

    it('a bad key is an AuthenticationError naming the provider, for generate and stream', async () => {
      const bad = createProvider({ baseUrl: server.baseUrl, apiKey: 'wrong-key' });
      for (const attempt of [
        bad.generate({ messages: [user('hi')] }),
        collect(bad.stream!({ messages: [user('hi')] })),
      ]) {
        const err = await rejection(attempt);
        expect(err).toBeInstanceOf(AuthenticationError);
        expect((err as AuthenticationError).provider).toBe(name);
        expect((err as AuthenticationError).message).toContain(name);
        expect((err as AuthenticationError).retryable).toBe(false);
      }
    });

    it('a 500 is a retryable ProviderError', async () => {
      server.enqueue({ error: { status: 500, message: 'upstream exploded' } });
      const err = await rejection(provider.generate({ messages: [user('hi')] }));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).not.toBeInstanceOf(AuthenticationError);
      expect((err as ProviderError).retryable).toBe(true);
      expect((err as ProviderError).status).toBe(500);
      expect((err as ProviderError).message).toContain('upstream exploded');
    });

    it("a 400 is a non-retryable ProviderError carrying the vendor's message", async () => {
      server.enqueue({ error: { status: 400, message: 'messages: something is off' } });
      const err = await rejection(collect(provider.stream!({ messages: [user('hi')] })));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).not.toBeInstanceOf(AuthenticationError);
      expect((err as ProviderError).retryable).toBe(false);
      expect((err as ProviderError).status).toBe(400);
      expect((err as ProviderError).message).toBe(`${name}: messages: something is off`);
    });

    it('a 429 is a RateLimitError honouring retry-after', async () => {
      server.enqueue({ error: { status: 429, message: 'slow down', retryAfterSeconds: 7 } });
      const err = await rejection(provider.generate({ messages: [user('hi')] }));
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).retryAfterMs).toBe(7000);
      expect((err as RateLimitError).retryable).toBe(true);
    });

    it('an unreachable server is a retryable network ProviderError', async () => {
      const port = await closedPort();
      const offline = createProvider({
        baseUrl: `http://127.0.0.1:${port}${new URL(server.baseUrl).pathname}`,
        apiKey: 'k',
      });
      const err = await rejection(offline.generate({ messages: [user('hi')] }));
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).code).toBe('network_error');
      expect((err as ProviderError).retryable).toBe(true);
      expect((err as ProviderError).message).toContain(name);
    });

    it('an AbortSignal cancels a slow stream with an AbortError and closes the connection', async () => {
      const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
      server.enqueue({ text, chunkDelayMs: 250 });
      const controller = new AbortController();
      const received: AIStreamPart[] = [];
      const err = await rejection(
        (async () => {
          for await (const part of provider.stream!({
            messages: [user('slow')],
            signal: controller.signal,
          })) {
            received.push(part);
            if (part.type === 'text-delta') controller.abort();
          }
        })(),
      );
      expect((err as Error).name).toBe('AbortError');
      expect(received.filter((p) => p.type === 'finish')).toHaveLength(0);
      await vi.waitFor(() => expect(server.abandonedResponses).toBe(1));
    });

    it('an AbortSignal cancels a stream stalled between events, without waiting for the next one', async () => {
      // The next event is a minute away: only a real cancellation ends this before the test times out.
      server.enqueue({ text: 'stalled stream text', chunkDelayMs: 60_000 });
      const controller = new AbortController();
      const pending = rejection(
        collect(provider.stream!({ messages: [user('slow')], signal: controller.signal })),
      );
      await vi.waitFor(() => expect(server.requests).toHaveLength(1));
      controller.abort();
      expect(((await pending) as Error).name).toBe('AbortError');
      await vi.waitFor(() => expect(server.abandonedResponses).toBe(1));
    });

    it('an AbortSignal cancels a generate that is waiting for the server', async () => {
      server.enqueue({ text: 'late', delayMs: 30_000 });
      const controller = new AbortController();
      const pending = rejection(provider.generate({ messages: [user('hi')], signal: controller.signal }));
      await vi.waitFor(() => expect(server.requests).toHaveLength(1));
      controller.abort();
      expect(((await pending) as Error).name).toBe('AbortError');
      await vi.waitFor(() => expect(server.abandonedResponses).toBe(1));
    });

    it('an already aborted signal rejects without sending anything', async () => {
      const err = await rejection(provider.generate({ messages: [user('hi')], signal: AbortSignal.abort() }));
      expect((err as Error).name).toBe('AbortError');
      expect(server.requests).toHaveLength(0);
    });

    it('breaking out of a stream early closes the connection', async () => {
      server.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 250 });
      for await (const part of provider.stream!({ messages: [user('hi')] })) {
        expect(part.type).toBe('text-delta');
        break;
      }
      await vi.waitFor(() => expect(server.abandonedResponses).toBe(1));
    });
  });
}
