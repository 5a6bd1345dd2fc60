/** What a test scripts a fake AI server to answer, and the helpers every vendor fake shares. */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface FakeAIError {
  /** HTTP status, e.g. 400, 429, 500. */
  status: number;
  message: string;
  /** Vendor error type/status string; a fitting one for the status by default. */
  type?: string;
  /** Sent as a `retry-after` header (seconds). */
  retryAfterSeconds?: number;
}

export interface FakeAIReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Answer with the vendor's error body instead of a completion. */
  error?: FakeAIError;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Wait this long between stream events. */
  chunkDelayMs?: number;
  /** Split streamed text into deltas of this many characters; by default one delta per word. */
  chunkSize?: number;
  /** How the turn ended when it has no tool calls. Default 'stop'. */
  finishReason?: 'stop' | 'length' | 'content_filter';
  /** Reported token usage; estimated from the request and reply by default. */
  usage?: { inputTokens: number; outputTokens: number };
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** What the fake answered: the JSON body, or the data of each SSE event it wrote. */
  response?: { status: number; body?: unknown; events?: unknown[] };
}

/** A reply resolved against one request: what every vendor renders into its own format. */
export interface ReplyPlan {
  reply: FakeAIReply;
  text: string;
  textChunks: string[];
  toolCalls: FakeToolCall[];
  finishReason: 'stop' | 'length' | 'content_filter' | 'tool_calls';
  usage: { inputTokens: number; outputTokens: number };
}

export function planReply(reply: FakeAIReply, requestBody: unknown): ReplyPlan {
  const text = reply.text ?? '';
  const toolCalls = reply.toolCalls ?? [];
  const textChunks = splitText(text, reply.chunkSize);
  const usage = reply.usage ?? {
    inputTokens: estimateTokens(JSON.stringify(requestBody ?? '')),
    outputTokens: Math.max(
      1,
      textChunks.length + toolCalls.reduce((n, c) => n + estimateTokens(JSON.stringify(c)), 0),
    ),
  };
  const finishReason = toolCalls.length > 0 ? 'tool_calls' : (reply.finishReason ?? 'stop');
  return { reply, text, textChunks, toolCalls, finishReason, usage };
}

/**
 * Word-sized deltas look like real token streams; a fixed size lets tests force many small
 * deltas. Splitting by code point keeps emoji and other astral characters whole.
 */
export function splitText(text: string, chunkSize?: number): string[] {
  if (text === '') return [];
  if (chunkSize && chunkSize > 0) {
    const chars = Array.from(text);
    const chunks: string[] = [];
    for (let i = 0; i < chars.length; i += chunkSize) chunks.push(chars.slice(i, i + chunkSize).join(''));
    return chunks;
  }
  return text.match(/\s*\S+\s*|\s+/g) ?? [text];
}

/** Rough but deterministic: about four characters per token, as vendors document. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Vendor-looking ids: `msg_01…`, `chatcmpl-…`, `call_…`. */
export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** Split a string into `parts` roughly equal pieces (tool argument JSON streams in fragments). */
export function fragment(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
