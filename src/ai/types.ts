/**
 * The AI provider contract: small plain types, streams as tagged unions. Every vendor
 * provider (Anthropic, OpenAI, Gemini, ...) maps its wire format onto these.
 */

export interface AIToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type AIMessage =
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string; toolCalls?: AIToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

/** JSON Schema object describing a tool's arguments. */
export type JSONSchema = Record<string, unknown>;

export interface AIToolDefinition {
  name: string;
  description: string;
  parameters: JSONSchema;
}

export interface AIRequest {
  messages: AIMessage[];
  systemPrompt?: string;
  tools?: AIToolDefinition[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export type AIFinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'error' | 'other';

export interface AIUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export interface AIResponse {
  text: string;
  toolCalls: AIToolCall[];
  finishReason: AIFinishReason;
  usage?: AIUsage;
}

export type AIStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; toolCall: AIToolCall }
  | { type: 'finish'; finishReason: AIFinishReason; usage?: AIUsage };

export interface AIDeadlines {
  /** Longest wait for a non-streamed answer (AIChannel default 60 s). */
  generateMs?: number;
  /** Longest silence between two parts of a streamed answer, the first included (default 30 s). */
  streamIdleMs?: number;
}

export interface AIProvider {
  /** Vendor name used in errors and logs, e.g. 'anthropic'. */
  readonly name: string;
  readonly model: string;
  readonly supportsStreaming: boolean;
  /**
   * Deadlines this provider needs when the defaults do not fit (a slow local model, a
   * reasoning model that thinks before its first token). An AIChannel option still wins.
   */
  readonly deadlines?: AIDeadlines;
  generate(request: AIRequest): Promise<AIResponse>;
  /** Present when supportsStreaming; yields deltas, complete tool calls, then one finish. */
  stream?(request: AIRequest): AsyncIterable<AIStreamPart>;
}
