/**
 * A fake of the Anthropic Messages API (`POST /v1/messages`): same JSON shapes, SSE event
 * names and order, error bodies and auth rules as api.anthropic.com.
 */
import {
  FakeAIServer,
  type FakeHttpReply,
  type FakeRequestContext,
  type FakeSSEEvent,
  isObject,
} from './fake-ai-server.js';
import { fragment, type RecordedRequest, randomId, type ReplyPlan } from './fake-reply.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** The versions the API accepts; 2026-10-21 removed the sampling parameters and tightened content rules. */
const API_VERSIONS = new Set(['2023-06-01', '2026-10-21']);
const SAMPLING_PARAMETERS = ['temperature', 'top_p', 'top_k'];

const STOP_REASONS = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
  tool_calls: 'tool_use',
};

export class FakeAnthropicServer extends FakeAIServer {
  protected readonly basePath = '';

  protected route(request: RecordedRequest, body: Record<string, unknown>): FakeRequestContext | undefined {
    if (request.method !== 'POST' || request.path !== '/v1/messages') return undefined;
    return { request, body, stream: body.stream === true, model: String(body.model ?? '') };
  }

  protected reject(ctx: FakeRequestContext): FakeHttpReply | undefined {
    const { headers } = ctx.request;
    // SDKs from 1.0 (API 2026-10-21) send the key as a bearer token; x-api-key wins when both come.
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    const key = header(headers['x-api-key']) ?? bearer;
    if (!key) return this.errorReply(401, 'x-api-key header is required');
    if (key !== this.apiKey) return this.errorReply(401, 'invalid x-api-key');
    const version = header(headers['anthropic-version']);
    if (!version) return this.errorReply(400, 'anthropic-version: header is required');
    if (!API_VERSIONS.has(version))
      return this.errorReply(400, `anthropic-version: ${version} is not a supported API version`);
    const invalid = validateBody(ctx.body, version);
    return invalid ? this.errorReply(400, invalid) : undefined;
  }

  protected errorReply(status: number, message: string, type?: string): FakeHttpReply {
    const requestId = randomId('req_011C');
    return {
      status,
      headers: { 'request-id': requestId },
      body: {
        type: 'error',
        error: { type: type ?? ERROR_TYPES[status] ?? 'api_error', message },
        request_id: requestId,
      },
    };
  }

  protected completion(ctx: FakeRequestContext, plan: ReplyPlan): unknown {
    const content: unknown[] = [];
    if (plan.text) content.push({ type: 'text', text: plan.text, citations: null });
    for (const call of plan.toolCalls) content.push(toolUseBlock(call.name, call.arguments));
    return {
      ...messageHead(ctx),
      content,
      stop_reason: STOP_REASONS[plan.finishReason],
      stop_sequence: null,
      stop_details: null,
      usage: usage(plan.usage.inputTokens, plan.usage.outputTokens),
    };
  }

  protected streamEvents(ctx: FakeRequestContext, plan: ReplyPlan): FakeSSEEvent[] {
    const events: FakeSSEEvent[] = [];
    const emit = (data: { type: string } & Record<string, unknown>) =>
      events.push({ event: data.type, data });
    emit({
      type: 'message_start',
      message: {
        ...messageHead(ctx),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: usage(plan.usage.inputTokens, 1),
      },
    });
    let index = 0;
    if (plan.textChunks.length > 0) {
      const textBlock = { type: 'text', text: '', citations: null };
      emit({ type: 'content_block_start', index, content_block: textBlock });
      emit({ type: 'ping' });
      for (const text of plan.textChunks)
        emit({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      emit({ type: 'content_block_stop', index });
      index++;
    }
    for (const call of plan.toolCalls) {
      emit({ type: 'content_block_start', index, content_block: toolUseBlock(call.name, {}) });
      // The API opens every tool input with an empty fragment, then streams the JSON.
      for (const partial_json of ['', ...fragment(JSON.stringify(call.arguments), 3)]) {
        emit({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
      }
      emit({ type: 'content_block_stop', index });
      index++;
    }
    emit({
      type: 'message_delta',
      delta: {
        container: null,
        stop_details: null,
        stop_reason: STOP_REASONS[plan.finishReason],
        stop_sequence: null,
      },
      // Cumulative counts; input is repeated here, the cache fields stay as message_start said.
      usage: {
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        input_tokens: plan.usage.inputTokens,
        output_tokens: plan.usage.outputTokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    });
    emit({ type: 'message_stop' });
    return events;
  }
}

function messageHead(ctx: FakeRequestContext) {
  return {
    id: randomId('msg_01'),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    container: null,
    diagnostics: null,
  };
}

/** A call the model made itself (`caller.type: 'direct'`), not one a server tool made. */
function toolUseBlock(name: string, input: Record<string, unknown>) {
  return { type: 'tool_use', id: randomId('toolu_01'), caller: { type: 'direct' }, name, input };
}

function usage(input: number, output: number) {
  return {
    input_tokens: input,
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    inference_geo: null,
    output_tokens: output,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: 'standard',
  };
}

/** The checks the real API makes that a client is most likely to get wrong. */
function validateBody(body: Record<string, unknown>, version: string): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  const strict = version >= '2026-10-21';
  if (strict) {
    const sampling = SAMPLING_PARAMETERS.find((p) => p in body);
    if (sampling) return `${sampling}: Extra inputs are not permitted`;
  }
  const messages = body.messages as unknown[];
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const content = Array.isArray(message.content) ? message.content : [];
    const toolUseIds = previousToolUseIds(messages[i - 1]);
    for (const [j, block] of content.entries()) {
      if (strict && isObject(block)) {
        if (message.role === 'assistant' && block.type === 'document')
          return `messages.${i}.content.${j}: document blocks are not permitted in assistant messages`;
        if (
          message.role === 'user' &&
          block.type === 'text' &&
          Array.isArray(block.citations) &&
          block.citations.length > 0
        )
          return `messages.${i}.content.${j}.citations: citations are not permitted on text blocks in user messages`;
      }
      if (isObject(block) && block.type === 'tool_result' && !toolUseIds.has(String(block.tool_use_id))) {
        return (
          `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. ` +
          'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.'
        );
      }
    }
  }
  return undefined;
}

function previousToolUseIds(message: unknown): Set<string> {
  const ids = new Set<string>();
  if (!isObject(message) || message.role !== 'assistant' || !Array.isArray(message.content)) return ids;
  for (const block of message.content)
    if (isObject(block) && block.type === 'tool_use') ids.add(String(block.id));
  return ids;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}
