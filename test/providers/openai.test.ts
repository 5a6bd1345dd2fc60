import { describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../src/providers/openai/index.js';
import { FakeOpenAIServer } from '../../src/testing/fake-ai/index.js';
import { runAIProviderConformance } from '../conformance/ai-provider.js';

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
