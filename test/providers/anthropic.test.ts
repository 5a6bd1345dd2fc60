import { describe, expect, it } from 'vitest';
import { AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { FakeAnthropicServer } from '../../src/testing/fake-ai/index.js';
import { runAIProviderConformance } from '../conformance/ai-provider.js';

runAIProviderConformance('anthropic', () => ({
  server: new FakeAnthropicServer(),
  createProvider: ({ baseUrl, apiKey }) => new AnthropicProvider({ baseUrl, apiKey }),
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
