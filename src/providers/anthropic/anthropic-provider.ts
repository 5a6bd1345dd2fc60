/**
 * Claude through the Messages API (`POST /v1/messages`), spoken over fetch: no SDK needed.
 */
import type { AIProvider, AIRequest, AIResponse, AIStreamPart, AIToolCall } from '../../ai/types.js';
import { type FetchLike, joinUrl, postForJSON, postForSSE, requireApiKey } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { withDefaultSystemPrompt } from '../shared/ai-request-defaults.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { defaultProviderLogger, type ProviderLogger } from '../shared/provider-logger.js';
import { parseJSONPayload, validateResponse } from '../shared/response-validation.js';
import { buildMessagesRequest, mapStopReason, mapUsage } from './messages-mapping.js';
import { MessagesStreamTranslator } from './messages-stream.js';
import { anthropicMessageSchema, anthropicStreamEventSchema, KNOWN_STREAM_EVENTS } from './wire-types.js';

export interface AnthropicProviderOptions {
  /** Default: `process.env.ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** Default: 'claude-sonnet-4-6'. */
  model?: string;
  /** Used when a request carries none (the seed's `system_prompt` on the provider). */
  systemPrompt?: string;
  /** Default: 'https://api.anthropic.com' (no `/v1`; the path is added per call). */
  baseUrl?: string;
  /** Used when a request gives no `maxTokens`; the API requires a value. Default: 1024. */
  maxTokens?: number;
  /**
   * The `anthropic-version` header. Default: '2026-10-21', what the official SDKs send since
   * 1.0. That version rejects sampling parameters, so `temperature` is only sent when this is
   * pinned to '2023-06-01'.
   */
  anthropicVersion?: string;
  /** Extra headers on every request, e.g. `anthropic-beta`. */
  headers?: Record<string, string>;
  fetch?: FetchLike;
  logger?: ProviderLogger;
}

const OPTIONS = optionNames<AnthropicProviderOptions>({
  apiKey: true,
  model: true,
  systemPrompt: true,
  baseUrl: true,
  maxTokens: true,
  anthropicVersion: true,
  headers: true,
  fetch: true,
  logger: true,
});
/** API versions from this one on reject temperature, top_p and top_k (HTTP 400). */
const NO_SAMPLING_FROM = '2026-10-21';

export class AnthropicProvider implements AIProvider {
  readonly name = 'anthropic';
  readonly model: string;
  readonly supportsStreaming = true;
  private readonly apiKey?: string;
  private readonly baseUrl: string;
  private readonly maxTokens: number;
  private readonly anthropicVersion: string;
  private readonly extraHeaders: Record<string, string>;
  private readonly fetchImpl?: FetchLike;
  private readonly logger: ProviderLogger;
  private readonly systemPrompt?: string;

  constructor(opts: AnthropicProviderOptions = {}) {
    checkOptions('anthropic', opts, OPTIONS);
    this.apiKey = opts.apiKey ?? process.env.ANTHROPIC_API_KEY;
    this.model = opts.model ?? 'claude-sonnet-4-6';
    this.baseUrl = opts.baseUrl ?? 'https://api.anthropic.com';
    this.maxTokens = opts.maxTokens ?? 1024;
    this.anthropicVersion = opts.anthropicVersion ?? NO_SAMPLING_FROM;
    this.extraHeaders = opts.headers ?? {};
    this.fetchImpl = opts.fetch;
    this.logger = opts.logger ?? defaultProviderLogger(this.name);
    this.systemPrompt = opts.systemPrompt;
  }

  async generate(request: AIRequest): Promise<AIResponse> {
    const message = await postForJSON(this.post(request, false), anthropicMessageSchema);
    let text = '';
    const toolCalls: AIToolCall[] = [];
    for (const block of message.content) {
      if (block.type === 'text') text += block.text;
      else if (block.type === 'tool_use')
        toolCalls.push({ id: block.id, name: block.name, arguments: block.input });
    }
    return {
      text,
      toolCalls,
      finishReason: mapStopReason(message.stop_reason),
      usage: mapUsage(message.usage),
    };
  }

  async *stream(request: AIRequest): AsyncGenerator<AIStreamPart> {
    const translator = new MessagesStreamTranslator(this.name);
    for await (const message of postForSSE(this.post(request, true))) {
      if (!message.data) continue;
      const event = parseJSONPayload(this.name, message.data, 'stream event');
      if (!isRecord(event) || !KNOWN_STREAM_EVENTS.has(String(event.type))) continue;
      yield* translator.push(
        validateResponse(this.name, anthropicStreamEventSchema, event, `${event.type} event`),
      );
    }
    translator.end();
  }

  private post(request: AIRequest, stream: boolean) {
    const body = buildMessagesRequest(withDefaultSystemPrompt(request, this.systemPrompt), {
      model: this.model,
      maxTokens: this.maxTokens,
    });
    if (body.temperature !== undefined && this.anthropicVersion >= NO_SAMPLING_FROM) {
      // The API answers 400 to any temperature under this version; dropping it keeps the reply.
      delete body.temperature;
      this.logger.warn(
        { anthropicVersion: this.anthropicVersion },
        "temperature is not sent: this API version rejects it (pin anthropicVersion '2023-06-01' to use it)",
      );
    }
    if (stream) body.stream = true;
    return {
      provider: this.name,
      url: joinUrl(this.baseUrl, '/v1/messages'),
      headers: {
        // The key as a bearer token, as the official SDKs send it since API version 2026-10-21.
        authorization: `Bearer ${requireApiKey(this.name, this.apiKey, 'ANTHROPIC_API_KEY')}`,
        ...this.extraHeaders,
        'anthropic-version': this.anthropicVersion,
        ...(stream ? { accept: 'text/event-stream' } : {}),
      },
      body,
      signal: request.signal,
      fetch: this.fetchImpl,
    };
  }
}

/** The Gradium article's name for this provider (`from roomkit.providers.ai import AnthropicAIProvider`). */
export { AnthropicProvider as AnthropicAIProvider };
