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
    const key = ctx.request.headers['x-api-key'];
    if (!key) return this.errorReply(401, 'x-api-key header is required');
    if (key !== this.apiKey) return this.errorReply(401, 'invalid x-api-key');
    if (!ctx.request.headers['anthropic-version'])
      return this.errorReply(400, 'anthropic-version: header is required');
    const invalid = validateBody(ctx.body);
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
    if (plan.text) content.push({ type: 'text', text: plan.text });
    for (const call of plan.toolCalls) {
      content.push({ type: 'tool_use', id: randomId('toolu_01'), name: call.name, input: call.arguments });
    }
    return {
      ...messageHead(ctx),
      content,
      stop_reason: STOP_REASONS[plan.finishReason],
      stop_sequence: null,
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
        usage: usage(plan.usage.inputTokens, 1),
      },
    });
    let index = 0;
    if (plan.textChunks.length > 0) {
      emit({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      emit({ type: 'ping' });
      for (const text of plan.textChunks)
        emit({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      emit({ type: 'content_block_stop', index });
      index++;
    }
    for (const call of plan.toolCalls) {
      const toolUse = { type: 'tool_use', id: randomId('toolu_01'), name: call.name, input: {} };
      emit({ type: 'content_block_start', index, content_block: toolUse });
      // The API opens every tool input with an empty fragment, then streams the JSON.
      for (const partial_json of ['', ...fragment(JSON.stringify(call.arguments), 3)]) {
        emit({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
      }
      emit({ type: 'content_block_stop', index });
      index++;
    }
    emit({
      type: 'message_delta',
      delta: { stop_reason: STOP_REASONS[plan.finishReason], stop_sequence: null },
      usage: { output_tokens: plan.usage.outputTokens },
    });
    emit({ type: 'message_stop' });
    return events;
  }
}

function messageHead(ctx: FakeRequestContext) {
  return { id: randomId('msg_01'), type: 'message', role: 'assistant', model: ctx.model };
}

function usage(input: number, output: number) {
  return {
    input_tokens: input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
  };
}

/** The checks the real API makes that a client is most likely to get wrong. */
function validateBody(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  const messages = body.messages as unknown[];
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const content = Array.isArray(message.content) ? message.content : [];
    const toolUseIds = previousToolUseIds(messages[i - 1]);
    for (const [j, block] of content.entries()) {
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
