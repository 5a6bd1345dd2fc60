import { describe, expect, it } from 'vitest';
import { GeminiProvider } from '../../src/providers/gemini/index.js';
import { FakeGeminiServer } from '../../src/testing/fake-ai/index.js';
import { runAIProviderConformance } from '../conformance/ai-provider.js';

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
