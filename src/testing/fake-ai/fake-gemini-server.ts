/**
 * A fake of the Gemini API (`/v1/models/{model}:generateContent` and `:streamGenerateContent`,
 * and the same under `/v1beta`): same JSON shapes, CRLF-framed SSE, google.rpc error bodies,
 * and the real key rules (a missing key is 403 PERMISSION_DENIED, a wrong one 400
 * API_KEY_INVALID). v1 is the stable API and what @google/genai dials by default; v1beta
 * serves the same calls plus early features.
 */
import { randomBytes } from 'node:crypto';
import {
  FakeAIServer,
  type FakeHttpReply,
  type FakeRequestContext,
  type FakeSSEEvent,
  isObject,
} from './fake-ai-server.js';
import { type RecordedRequest, randomId, type ReplyPlan } from './fake-reply.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const FINISH_REASONS = { stop: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY', tool_calls: 'STOP' };

const ROUTE = /^\/(v1|v1beta)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export class FakeGeminiServer extends FakeAIServer {
  protected readonly basePath = '/v1';
  protected override readonly lineEnding = '\r\n';

  protected route(request: RecordedRequest, body: Record<string, unknown>): FakeRequestContext | undefined {
    const match = request.method === 'POST' ? ROUTE.exec(request.path) : null;
    if (!match) return undefined;
    // Without alt=sse the real API streams one JSON array; that is answered as a plain body.
    const stream = match[3] === 'streamGenerateContent' && request.query.alt === 'sse';
    return { request, body, stream, model: decodeURIComponent(match[2]) };
  }

  protected reject(ctx: FakeRequestContext): FakeHttpReply | undefined {
    const header = ctx.request.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? ctx.request.query.key;
    if (!key) {
      return this.errorReply(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). " +
          'Please use API Key or other form of API consumer identity to call this API.',
      );
    }
    if (key !== this.apiKey) {
      const reply = this.errorReply(400, 'API key not valid. Please pass a valid API key.');
      (reply.body as { error: Record<string, unknown> }).error.details = [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
          locale: 'en-US',
          message: 'API key not valid. Please pass a valid API key.',
        },
      ];
      return reply;
    }
    const invalid = validateContents(ctx.body);
    return invalid ? this.errorReply(400, invalid) : undefined;
  }

  protected errorReply(status: number, message: string, type?: string): FakeHttpReply {
    return {
      status,
      body: { error: { code: status, message, status: type ?? STATUS_NAMES[status] ?? 'UNKNOWN' } },
    };
  }

  protected completion(ctx: FakeRequestContext, plan: ReplyPlan): unknown {
    const responseId = randomId('', 22);
    if (ctx.request.path.endsWith(':streamGenerateContent')) {
      return this.chunks(ctx, plan, responseId);
    }
    const parts: unknown[] = [];
    if (plan.text) parts.push({ text: plan.text });
    parts.push(...functionCallParts(plan));
    return response(
      ctx,
      responseId,
      parts,
      FINISH_REASONS[plan.finishReason],
      plan.usage,
      plan.usage.outputTokens,
    );
  }

  protected streamEvents(ctx: FakeRequestContext, plan: ReplyPlan): FakeSSEEvent[] {
    return this.chunks(ctx, plan, randomId('', 22)).map((data) => ({ data }));
  }

  /** Text arrives a slice per chunk; the last chunk carries the calls and finishReason. */
  private chunks(ctx: FakeRequestContext, plan: ReplyPlan, responseId: string): unknown[] {
    const finish = FINISH_REASONS[plan.finishReason];
    const calls = functionCallParts(plan);
    const out: unknown[] = [];
    const texts = plan.textChunks;
    texts.forEach((text, i) => {
      const last = i === texts.length - 1 && calls.length === 0;
      const produced = Math.round(
        (plan.usage.outputTokens * (i + 1)) / (texts.length + (calls.length ? 1 : 0)),
      );
      out.push(response(ctx, responseId, [{ text }], last ? finish : undefined, plan.usage, produced));
    });
    if (calls.length > 0 || texts.length === 0) {
      const parts = calls.length > 0 ? calls : [{ text: '' }];
      out.push(response(ctx, responseId, parts, finish, plan.usage, plan.usage.outputTokens));
    }
    return out;
  }
}

function functionCallParts(plan: ReplyPlan): unknown[] {
  // Thinking models sign the first call of a turn; clients must send the signature back.
  return plan.toolCalls.map((call, i) => {
    const part: Record<string, unknown> = { functionCall: { name: call.name, args: call.arguments } };
    if (i === 0) part.thoughtSignature = randomBytes(24).toString('base64');
    return part;
  });
}

function response(
  ctx: FakeRequestContext,
  responseId: string,
  parts: unknown[],
  finishReason: string | undefined,
  usage: { inputTokens: number; outputTokens: number },
  outputSoFar: number,
) {
  const candidate: Record<string, unknown> = { content: { parts, role: 'model' } };
  if (finishReason) candidate.finishReason = finishReason;
  candidate.index = 0;
  return {
    candidates: [candidate],
    usageMetadata: {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: outputSoFar,
      totalTokenCount: usage.inputTokens + outputSoFar,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.inputTokens }],
    },
    modelVersion: ctx.model,
    responseId,
  };
}

/** The rules the real API checks that a client is most likely to break. */
function validateContents(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return '* GenerateContentRequest.contents: contents is not specified\n';
  }
  let expectedResponses = 0;
  for (const content of body.contents as unknown[]) {
    if (!isObject(content)) return 'Invalid JSON payload received. Unknown name "contents".';
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
      return 'Please use a valid role: user, model.';
    }
    const parts = Array.isArray(content.parts) ? content.parts.filter(isObject) : [];
    const responses = parts.filter((p) => 'functionResponse' in p).length;
    if (responses > 0 && responses !== expectedResponses) {
      return (
        'Please ensure that the number of function response parts is equal to the number of function call parts ' +
        'of the function call turn.'
      );
    }
    expectedResponses = content.role === 'model' ? parts.filter((p) => 'functionCall' in p).length : 0;
  }
  return undefined;
}
