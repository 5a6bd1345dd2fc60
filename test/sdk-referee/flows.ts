/** The flows every referee test runs, so each vendor's file only holds what is vendor-specific. */
import type { AIProvider, AIToolDefinition } from '../../src/ai/types.js';
import type { FakeAIServer } from '../../src/testing/fake-ai/index.js';
import type { FakeTurn } from '../../src/testing/fake-realtime/index.js';
import { collect } from '../conformance/ai-provider.js';

export const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};

/**
 * Our AI provider's side of a tool round trip: a streamed question that calls the weather
 * tool, the result fed back with sampling options, then a plain generate with a system prompt.
 */
export async function ourToolRoundTrip(server: FakeAIServer, provider: AIProvider): Promise<void> {
  server.enqueue({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'Sunny.' });
  const tools: AIToolDefinition[] = [
    { name: 'get_weather', description: 'weather', parameters: WEATHER_SCHEMA },
  ];
  const question = { role: 'user' as const, content: 'Weather in Paris?' };
  const parts = await collect(provider.stream!({ messages: [question], tools, systemPrompt: 'Be brief.' }));
  const call = parts.find((p) => p.type === 'tool-call');
  if (call?.type !== 'tool-call') throw new Error('no tool call');
  await collect(
    provider.stream!({
      messages: [
        question,
        { role: 'assistant', content: '', toolCalls: [call.toolCall] },
        { role: 'tool', toolCallId: call.toolCall.id, name: 'get_weather', content: '{"sky":"sunny"}' },
      ],
      tools,
      temperature: 0.3,
      maxTokens: 50,
    }),
  );
  await provider.generate({ messages: [{ role: 'user', content: 'hi' }], systemPrompt: 'Be brief.' });
}

/**
 * The realtime script: the user asks for the weather, the model calls the tool and answers
 * after the result (held after two chunks so a barge-in lands mid-answer), then a second turn.
 */
export function weatherTurns(callId: string): FakeTurn[] {
  return [
    {
      userTranscript: 'What is the weather in Paris?',
      toolCall: { name: 'get_weather', arguments: { city: 'Paris' }, callId },
      afterToolResult: { text: 'It is sunny in Paris today.', audioMs: 400, chunks: 4, pauseAfterChunks: 2 },
    },
    { userTranscript: 'Thanks.', reply: { text: 'You are welcome.' } },
  ];
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
