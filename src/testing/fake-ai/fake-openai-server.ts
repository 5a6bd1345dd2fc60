/**
 * A fake of OpenAI Chat Completions (`POST /v1/chat/completions`): same JSON shapes, chunk
 * stream with `[DONE]`, usage chunk, error bodies and Bearer auth as api.openai.com.
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
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

const MISSING_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
  "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API " +
  'from your browser and are prompted for a username and password. You can obtain an API key from ' +
  'https://platform.openai.com/account/api-keys.';

export class FakeOpenAIServer extends FakeAIServer {
  protected readonly basePath = '/v1';

  protected route(request: RecordedRequest, body: Record<string, unknown>): FakeRequestContext | undefined {
    if (request.method !== 'POST' || request.path !== '/v1/chat/completions') return undefined;
    return { request, body, stream: body.stream === true, model: String(body.model ?? '') };
  }

  protected reject(ctx: FakeRequestContext): FakeHttpReply | undefined {
    const auth = ctx.request.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
    if (!key) return this.errorReply(401, MISSING_KEY);
    if (key !== this.apiKey) {
      return this.withCode(
        this.errorReply(
          401,
          `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        ),
        'invalid_api_key',
      );
    }
    const invalid = validateMessages(ctx.body);
    return invalid ? this.errorReply(400, invalid.message, undefined, invalid.param) : undefined;
  }

  protected errorReply(
    status: number,
    message: string,
    type?: string,
    param: string | null = null,
  ): FakeHttpReply {
    const code = status === 429 ? 'rate_limit_exceeded' : null;
    return {
      status,
      body: { error: { message, type: type ?? ERROR_TYPES[status] ?? 'server_error', param, code } },
    };
  }

  protected completion(ctx: FakeRequestContext, plan: ReplyPlan): unknown {
    const toolCalls = plan.toolCalls.map((call) => ({
      id: randomId('call_'),
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: plan.text || null,
      refusal: null,
      annotations: [],
    };
    if (toolCalls.length) message.tool_calls = toolCalls;
    return {
      ...head(ctx, 'chat.completion'),
      choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
      usage: usage(plan),
      service_tier: 'default',
    };
  }

  protected streamEvents(ctx: FakeRequestContext, plan: ReplyPlan): FakeSSEEvent[] {
    const base = head(ctx, 'chat.completion.chunk');
    const includeUsage = isObject(ctx.body.stream_options) && ctx.body.stream_options.include_usage === true;
    const events: FakeSSEEvent[] = [];
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => {
      const data: Record<string, unknown> = {
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      };
      // With include_usage every chunk carries `usage: null` until the usage-only chunk.
      if (includeUsage) data.usage = null;
      events.push({ data });
    };
    const first = plan.toolCalls.length > 0 && plan.textChunks.length === 0;
    chunk({ role: 'assistant', content: first ? null : '', refusal: null });
    for (const content of plan.textChunks) chunk({ content });
    for (const [index, call] of plan.toolCalls.entries()) {
      chunk({
        tool_calls: [
          { index, id: randomId('call_'), type: 'function', function: { name: call.name, arguments: '' } },
        ],
      });
      for (const args of fragment(JSON.stringify(call.arguments), 3)) {
        chunk({ tool_calls: [{ index, function: { arguments: args } }] });
      }
    }
    chunk({}, plan.finishReason);
    if (includeUsage) events.push({ data: { ...base, choices: [], usage: usage(plan) } });
    events.push({ data: '[DONE]' });
    return events;
  }

  private withCode(reply: FakeHttpReply, code: string | null): FakeHttpReply {
    (reply.body as { error: { code: string | null } }).error.code = code;
    return reply;
  }
}

function head(ctx: FakeRequestContext, object: string) {
  return {
    id: randomId('chatcmpl-', 29),
    object,
    created: Math.floor(Date.now() / 1000),
    model: ctx.model,
    system_fingerprint: 'fp_fake0001',
  };
}

function usage(plan: ReplyPlan) {
  const { inputTokens, outputTokens } = plan.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** `sk-abc…wxyz` style, as the real error message shows the key. */
function maskKey(key: string): string {
  return key.length <= 8
    ? key
    : `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`;
}

/** The message-order rules the real API enforces and clients most often break. */
function validateMessages(body: Record<string, unknown>): { message: string; param: string } | undefined {
  if (typeof body.model !== 'string')
    return { message: 'you must provide a model parameter', param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { message: "Missing required parameter: 'messages'.", param: 'messages' };
  }
  let pending = new Set<string>();
  for (const [i, message] of (body.messages as unknown[]).entries()) {
    if (!isObject(message))
      return { message: `Invalid type for 'messages[${i}]'.`, param: `messages.[${i}]` };
    if (message.role === 'tool') {
      if (!pending.delete(String(message.tool_call_id))) {
        return {
          message:
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `messages.[${i}].role`,
        };
      }
      continue;
    }
    if (pending.size > 0) {
      return {
        message:
          "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. " +
          `The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
        param: 'messages',
      };
    }
    pending = new Set(
      message.role === 'assistant' && Array.isArray(message.tool_calls)
        ? message.tool_calls.map((c) => String(isObject(c) ? c.id : ''))
        : [],
    );
  }
  return undefined;
}
