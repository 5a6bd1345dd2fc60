/** The subset of the OpenAI Chat Completions wire format this provider reads and writes. */

export interface ChatToolCallParam {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessageParam =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCallParam[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessageParam[];
  tools?: Array<{
    type: 'function';
    function: { name: string; description: string; parameters: Record<string, unknown> };
  }>;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCallParam[] };
    finish_reason: string | null;
  }>;
  usage?: ChatUsage | null;
}

export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  choices?: Array<{
    index: number;
    delta: { role?: string; content?: string | null; tool_calls?: ChatToolCallDelta[] };
    finish_reason: string | null;
  }> | null;
  usage?: ChatUsage | null;
  /** Some OpenAI-compatible servers report a failure mid-stream this way. */
  error?: { message?: string; type?: string; code?: string | null };
}
