/** AIRequest -> generateContent body, and Gemini answers -> AIResponse pieces. */
import type { AIFinishReason, AIMessage, AIRequest, AIToolCall, AIUsage } from '../../ai/types.js';
import type {
  GeminiContent,
  GeminiPart,
  GeminiRequest,
  GeminiResponse,
  GeminiUsageMetadata,
} from './gemini-wire-types.js';

/**
 * Gemini 2.5+ attaches a `thoughtSignature` to function calls and wants it back with the
 * call in the next turn. AIToolCall has no slot for it, so the provider remembers it by the
 * call id it handed out.
 */
export class ThoughtSignatures {
  private readonly byCallId = new Map<string, string>();
  constructor(private readonly limit = 1000) {}

  remember(callId: string, signature: string | undefined): void {
    if (!signature) return;
    this.byCallId.delete(callId);
    this.byCallId.set(callId, signature);
    if (this.byCallId.size > this.limit) this.byCallId.delete(this.byCallId.keys().next().value!);
  }

  get(callId: string): string | undefined {
    return this.byCallId.get(callId);
  }
}

export function buildGeminiRequest(request: AIRequest, signatures: ThoughtSignatures): GeminiRequest {
  const body: GeminiRequest = { contents: toGeminiContents(request.messages, signatures) };
  if (request.systemPrompt) body.systemInstruction = { parts: [{ text: request.systemPrompt }] };
  if (request.tools?.length) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          description: tool.description,
          // Plain JSON Schema goes in parametersJsonSchema; `parameters` wants Google's
          // OpenAPI subset (upper-case enum types), which the official SDK never fills from JSON Schema.
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
  }
  const config: GeminiRequest['generationConfig'] = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}

/**
 * Roles become user/model; function responses are user turns, and all responses to one
 * model turn must share a single content, so consecutive same-role turns are merged.
 */
export function toGeminiContents(messages: AIMessage[], signatures: ThoughtSignatures): GeminiContent[] {
  const out: GeminiContent[] = [];
  for (const message of messages) {
    const content = toContent(message, signatures);
    if (content.parts.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === content.role) last.parts.push(...content.parts);
    else out.push(content);
  }
  return out;
}

function toContent(message: AIMessage, signatures: ThoughtSignatures): GeminiContent {
  switch (message.role) {
    case 'user':
      return { role: 'user', parts: message.content ? [{ text: message.content }] : [] };
    case 'assistant': {
      const parts: GeminiPart[] = message.content ? [{ text: message.content }] : [];
      for (const call of message.toolCalls ?? []) {
        const part: GeminiPart = { functionCall: { name: call.name, args: call.arguments } };
        const signature = signatures.get(call.id);
        if (signature) part.thoughtSignature = signature;
        parts.push(part);
      }
      return { role: 'model', parts };
    }
    case 'tool':
      // Google's convention: `output` for a result, `error` for a failure.
      return {
        role: 'user',
        parts: [
          {
            functionResponse: {
              name: message.name,
              response: message.isError ? { error: message.content } : { output: message.content },
            },
          },
        ],
      };
  }
}

/** What one response (or one stream chunk) contributes. */
export interface GeminiChunkContent {
  text: string;
  toolCalls: AIToolCall[];
  finishReason?: string;
}

export function readCandidate(
  response: GeminiResponse,
  signatures: ThoughtSignatures,
  callOffset = 0,
): GeminiChunkContent {
  const candidate = response.candidates?.[0];
  let text = '';
  const toolCalls: AIToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.kind === 'text' && !part.thought) text += part.text;
    else if (part.kind === 'call') {
      const args = part.args ?? {};
      const id =
        part.id ?? synthesizeCallId(response.responseId, callOffset + toolCalls.length, part.name, args);
      signatures.remember(id, part.thoughtSignature);
      toolCalls.push({ id, name: part.name, arguments: args });
    }
  }
  return { text, toolCalls, finishReason: candidate?.finishReason ?? blockedReason(response) };
}

/** A prompt blocked outright comes back with no candidates, only promptFeedback. */
function blockedReason(response: GeminiResponse): string | undefined {
  return response.promptFeedback?.blockReason ? 'SAFETY' : undefined;
}

/**
 * Gemini function calls carry no id, but roomkit pairs results with calls by id. Deriving the
 * id from the response, the call's position and content keeps it the same if the same answer
 * is read twice (generate vs. replay), while calls in different turns still differ.
 */
export function synthesizeCallId(
  responseId: string | undefined,
  position: number,
  name: string,
  args: Record<string, unknown>,
): string {
  const hash = fnv1a(`${responseId ?? ''}|${position}|${name}|${JSON.stringify(args)}`);
  return `call_${hash}_${position}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function mapFinishReason(reason: string | undefined, hasToolCalls: boolean): AIFinishReason {
  // Gemini says STOP even when the turn ends in function calls.
  if (hasToolCalls && (reason === 'STOP' || reason === undefined)) return 'tool_calls';
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return 'error';
    default:
      return 'other';
  }
}

export function mapUsage(usage: GeminiUsageMetadata | undefined): AIUsage | undefined {
  if (!usage) return undefined;
  // Thinking tokens are billed as output, so they count as output here.
  const output =
    usage.candidatesTokenCount === undefined && usage.thoughtsTokenCount === undefined
      ? undefined
      : (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
  return { inputTokens: usage.promptTokenCount, outputTokens: output };
}
