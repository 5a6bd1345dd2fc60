/**
 * Google Gemini through the Generative Language API (`models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`) over fetch.
 */
import type { AIProvider, AIRequest, AIResponse, AIStreamPart, AIUsage } from '../../ai/types.js';
import { AuthenticationError } from '../../core/errors.js';
import { type FetchLike, joinUrl, postForJSON, postForSSE, requireApiKey } from '../shared/http-client.js';
import { withDefaultSystemPrompt } from '../shared/ai-request-defaults.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';
import { parseJSONPayload, validateResponse } from '../shared/response-validation.js';
import { type ErrorClassifier, incompleteStreamError, isRecord } from '../shared/http-errors.js';
import {
  buildGeminiRequest,
  mapFinishReason,
  mapUsage,
  readCandidate,
  ThoughtSignatures,
} from './gemini-mapping.js';
import { geminiResponseSchema } from './gemini-wire-types.js';

export interface GeminiProviderOptions {
  /** Default: `process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY`. */
  apiKey?: string;
  /** Default: 'gemini-2.5-flash'. */
  model?: string;
  /**
   * Default: 'https://generativelanguage.googleapis.com/v1', the stable API the official SDK
   * dials; use '.../v1beta' for early features.
   */
  baseUrl?: string;
  /** Used when a request carries none (the seed's `system_prompt` on the provider). */
  systemPrompt?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  fetch?: FetchLike;
}

const OPTIONS = optionNames<GeminiProviderOptions>({
  apiKey: true,
  model: true,
  systemPrompt: true,
  baseUrl: true,
  headers: true,
  fetch: true,
});

/** A bad key is a 400 INVALID_ARGUMENT whose details carry reason API_KEY_INVALID. */
const classifyGeminiError: ErrorClassifier = (status, body, message) => {
  if (status !== 400 || !isRecord(body) || !isRecord(body.error)) return undefined;
  const details = Array.isArray(body.error.details) ? body.error.details : [];
  const badKey = details.some((d) => isRecord(d) && d.reason === 'API_KEY_INVALID');
  return badKey ? new AuthenticationError('gemini', message, status) : undefined;
};

export class GeminiProvider implements AIProvider {
  readonly name = 'gemini';
  readonly model: string;
  readonly supportsStreaming = true;
  private readonly apiKey?: string;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl?: FetchLike;
  private readonly signatures = new ThoughtSignatures();
  private readonly systemPrompt?: string;

  constructor(opts: GeminiProviderOptions = {}) {
    checkOptions('gemini', opts, OPTIONS);
    this.apiKey = opts.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
    this.model = opts.model ?? 'gemini-2.5-flash';
    this.baseUrl = opts.baseUrl ?? 'https://generativelanguage.googleapis.com/v1';
    this.headers = { ...opts.headers };
    this.fetchImpl = opts.fetch;
    this.systemPrompt = opts.systemPrompt;
  }

  async generate(request: AIRequest): Promise<AIResponse> {
    const response = await postForJSON(this.post(request, 'generateContent'), geminiResponseSchema);
    const { text, toolCalls, finishReason } = readCandidate(response, this.signatures);
    return {
      text,
      toolCalls,
      finishReason: mapFinishReason(finishReason, toolCalls.length > 0),
      usage: mapUsage(response.usageMetadata),
    };
  }

  /** Each SSE event is a whole GenerateContentResponse holding the next slice of the answer. */
  async *stream(request: AIRequest): AsyncGenerator<AIStreamPart> {
    let finishReason: string | undefined;
    let callCount = 0;
    let usage: AIUsage | undefined;
    for await (const message of postForSSE(this.post(request, 'streamGenerateContent?alt=sse'))) {
      if (!message.data) continue;
      const payload = parseJSONPayload(this.name, message.data, 'stream chunk');
      const chunk = validateResponse(this.name, geminiResponseSchema, payload, 'stream chunk');
      const content = readCandidate(chunk, this.signatures, callCount);
      if (content.text) yield { type: 'text-delta', text: content.text };
      for (const toolCall of content.toolCalls) yield { type: 'tool-call', toolCall };
      callCount += content.toolCalls.length;
      // usageMetadata is cumulative; the last one seen is the total.
      usage = mapUsage(chunk.usageMetadata) ?? usage;
      finishReason = content.finishReason ?? finishReason;
    }
    if (finishReason === undefined) throw incompleteStreamError(this.name);
    yield { type: 'finish', finishReason: mapFinishReason(finishReason, callCount > 0), usage };
  }

  private post(request: AIRequest, method: string) {
    return {
      provider: this.name,
      url: joinUrl(this.baseUrl, `models/${encodeURIComponent(this.model)}:${method}`),
      headers: { ...this.headers, 'x-goog-api-key': requireApiKey(this.name, this.apiKey, 'GEMINI_API_KEY') },
      body: buildGeminiRequest(withDefaultSystemPrompt(request, this.systemPrompt), this.signatures),
      signal: request.signal,
      fetch: this.fetchImpl,
      classifyError: classifyGeminiError,
    };
  }
}

/** The Gradium article's name for this provider (the Python original's `GeminiAIProvider`). */
export { GeminiProvider as GeminiAIProvider };
