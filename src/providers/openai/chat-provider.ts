/**
 * OpenAI Chat Completions (`POST {baseUrl}/chat/completions`) over fetch. Any server that
 * speaks the same protocol (vLLM, Ollama, LiteLLM, Groq, OpenRouter...) works via `baseUrl`.
 */
import type { AIProvider, AIRequest, AIResponse, AIStreamPart } from '../../ai/types.js';
import { type FetchLike, joinUrl, postForJSON, postForSSE, requireApiKey } from '../shared/http-client.js';
import { parseJSONPayload, validateResponse } from '../shared/response-validation.js';
import { withDefaultSystemPrompt } from '../shared/ai-request-defaults.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { parseToolArguments } from '../shared/tool-calls.js';
import { buildChatRequest, type MaxTokensField, mapFinishReason, mapUsage } from './chat-mapping.js';
import { ChatStreamTranslator } from './chat-stream.js';
import { chatCompletionChunkSchema, chatCompletionSchema } from './chat-wire-types.js';

export interface OpenAIProviderOptions {
  /** Default: `process.env.OPENAI_API_KEY`. */
  apiKey?: string;
  /** Default: 'gpt-4o-mini'. */
  model?: string;
  /** Used when a request carries none (the seed's `system_prompt` on the provider). */
  systemPrompt?: string;
  /** Default: 'https://api.openai.com/v1'. Any OpenAI-compatible endpoint works. */
  baseUrl?: string;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Field for `AIRequest.maxTokens`. Default 'max_completion_tokens'; older compatible servers want 'max_tokens'. */
  maxTokensField?: MaxTokensField;
  /** Name used in errors. Default 'openai'; set it when pointing at another vendor. */
  providerName?: string;
  fetch?: FetchLike;
}

const OPTIONS = optionNames<OpenAIProviderOptions>({
  apiKey: true,
  model: true,
  systemPrompt: true,
  baseUrl: true,
  organization: true,
  headers: true,
  maxTokensField: true,
  providerName: true,
  fetch: true,
});

export class OpenAIProvider implements AIProvider {
  readonly name: string;
  readonly model: string;
  readonly supportsStreaming = true;
  private readonly apiKey?: string;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly maxTokensField: MaxTokensField;
  private readonly fetchImpl?: FetchLike;
  private readonly systemPrompt?: string;

  constructor(opts: OpenAIProviderOptions = {}) {
    checkOptions(opts.providerName ?? 'openai', opts, OPTIONS);
    this.name = opts.providerName ?? 'openai';
    this.apiKey = opts.apiKey ?? process.env.OPENAI_API_KEY;
    this.model = opts.model ?? 'gpt-4o-mini';
    this.baseUrl = opts.baseUrl ?? 'https://api.openai.com/v1';
    this.headers = { ...opts.headers };
    if (opts.organization) this.headers['openai-organization'] = opts.organization;
    this.maxTokensField = opts.maxTokensField ?? 'max_completion_tokens';
    this.fetchImpl = opts.fetch;
    this.systemPrompt = opts.systemPrompt;
  }

  async generate(request: AIRequest): Promise<AIResponse> {
    const completion = await postForJSON(this.post(request, false), chatCompletionSchema);
    const choice = completion.choices?.[0];
    const toolCalls = (choice?.message.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: parseToolArguments(this.name, call.function.name, call.function.arguments),
    }));
    return {
      text: choice?.message.content ?? '',
      toolCalls,
      finishReason: mapFinishReason(choice?.finish_reason),
      usage: mapUsage(completion.usage),
    };
  }

  async *stream(request: AIRequest): AsyncGenerator<AIStreamPart> {
    const translator = new ChatStreamTranslator(this.name);
    for await (const message of postForSSE(this.post(request, true))) {
      if (message.data === '[DONE]') break;
      if (!message.data) continue;
      const chunk = parseJSONPayload(this.name, message.data, 'stream chunk');
      yield* translator.push(validateResponse(this.name, chatCompletionChunkSchema, chunk, 'stream chunk'));
    }
    yield* translator.end();
  }

  private post(request: AIRequest, stream: boolean) {
    const body = buildChatRequest(withDefaultSystemPrompt(request, this.systemPrompt), {
      model: this.model,
      maxTokensField: this.maxTokensField,
    });
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return {
      provider: this.name,
      url: joinUrl(this.baseUrl, '/chat/completions'),
      headers: {
        ...this.headers,
        authorization: `Bearer ${requireApiKey(this.name, this.apiKey, 'OPENAI_API_KEY')}`,
        ...(stream ? { accept: 'text/event-stream' } : {}),
      },
      body,
      signal: request.signal,
      fetch: this.fetchImpl,
    };
  }
}

/** The Gradium article's name for this provider (the Python original's `OpenAIAIProvider`). */
export { OpenAIProvider as OpenAIAIProvider };
