import type { AIProvider } from '../ai/types.js';
import { LocalAgentProvider } from './local-agent.js';

/** The model `roomkit serve` talks to: Anthropic or OpenAI when a key is set, else the local rules. */
export async function aiProviderFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<AIProvider> {
  if (env.ANTHROPIC_API_KEY) {
    const { AnthropicProvider } = await import('../providers/anthropic/index.js');
    return new AnthropicProvider({ apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL });
  }
  if (env.OPENAI_API_KEY) {
    const { OpenAIProvider } = await import('../providers/openai/index.js');
    return new OpenAIProvider({ apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL });
  }
  return new LocalAgentProvider();
}
