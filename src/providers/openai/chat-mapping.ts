/** AIRequest -> Chat Completions body, and Chat Completions answers -> AIResponse pieces. */
import type { AIFinishReason, AIMessage, AIRequest, AIUsage } from '../../ai/types.js';
import type { ChatCompletionRequest, ChatMessageParam, ChatUsage } from './chat-wire-types.js';

/** Which field carries the token limit: OpenAI's current one, or the older one many compatible servers still want. */
export type MaxTokensField = 'max_completion_tokens' | 'max_tokens';

export function buildChatRequest(
  request: AIRequest,
  defaults: { model: string; maxTokensField: MaxTokensField },
): ChatCompletionRequest {
  const messages: ChatMessageParam[] = [];
  if (request.systemPrompt) messages.push({ role: 'system', content: request.systemPrompt });
  messages.push(...request.messages.map(toChatMessage));
  const body: ChatCompletionRequest = { model: defaults.model, messages };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body[defaults.maxTokensField] = request.maxTokens;
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  return body;
}

function toChatMessage(message: AIMessage): ChatMessageParam {
  switch (message.role) {
    case 'user':
      return message.name === undefined
        ? { role: 'user', content: message.content }
        : { role: 'user', content: message.content, name: message.name };
    case 'assistant': {
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // The API wants null, not '', beside tool calls that carry no text.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      };
    }
    case 'tool':
      // Chat Completions has no error flag on tool results; the text has to say it.
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        content: message.isError ? `Error: ${message.content}` : message.content,
      };
  }
}

export function mapFinishReason(reason: string | null | undefined): AIFinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function mapUsage(usage: ChatUsage | null | undefined): AIUsage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}
