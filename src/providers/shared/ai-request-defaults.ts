import type { AIRequest } from '../../ai/types.js';

/**
 * The Python original configures the system prompt on the provider (`AnthropicAIProvider(
 * model=..., system_prompt=...)`); ours travels with each request (AIChannel's
 * `systemPrompt`). A provider given one uses it for requests that carry none.
 */
export function withDefaultSystemPrompt(request: AIRequest, systemPrompt: string | undefined): AIRequest {
  return request.systemPrompt || !systemPrompt ? request : { ...request, systemPrompt };
}
