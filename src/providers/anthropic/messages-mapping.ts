/** AIRequest -> Messages API body, and Messages API answers -> AIResponse pieces. */
import type { AIFinishReason, AIMessage, AIRequest, AIUsage } from '../../ai/types.js';
import type {
  AnthropicContentBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicUsage,
} from './wire-types.js';

export function buildMessagesRequest(
  request: AIRequest,
  defaults: { model: string; maxTokens: number },
): AnthropicMessagesRequest {
  const body: AnthropicMessagesRequest = {
    model: defaults.model,
    max_tokens: request.maxTokens ?? defaults.maxTokens,
    messages: toAnthropicMessages(request.messages),
  };
  if (request.systemPrompt) body.system = request.systemPrompt;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
  }
  return body;
}

/**
 * Tool results travel as user turns, and the API wants roles to alternate, so an assistant
 * tool call followed by two results and a user remark becomes one user turn of three blocks.
 */
export function toAnthropicMessages(messages: AIMessage[]): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  for (const message of messages) {
    const { role, blocks } = toBlocks(message);
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  return out;
}

function toBlocks(message: AIMessage): { role: 'user' | 'assistant'; blocks: AnthropicContentBlock[] } {
  switch (message.role) {
    case 'user':
      return { role: 'user', blocks: textBlocks(message.content) };
    case 'assistant': {
      const blocks = textBlocks(message.content);
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
      }
      return { role: 'assistant', blocks };
    }
    case 'tool': {
      const block: AnthropicContentBlock = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: message.content,
      };
      if (message.isError) block.is_error = true;
      return { role: 'user', blocks: [block] };
    }
  }
}

/** The API rejects empty text blocks, so an empty string contributes nothing. */
function textBlocks(text: string): AnthropicContentBlock[] {
  return text === '' ? [] : [{ type: 'text', text }];
}

export function mapStopReason(reason: string | null | undefined): AIFinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other'; // pause_turn and reasons added after this was written
  }
}

/** Cached prompt tokens are still input the model read, so they count as input. */
export function mapUsage(usage: AnthropicUsage | undefined): AIUsage | undefined {
  if (!usage) return undefined;
  const input =
    usage.input_tokens === undefined
      ? undefined
      : usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return { inputTokens: input, outputTokens: usage.output_tokens };
}
