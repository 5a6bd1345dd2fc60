import type { AIProvider, AIRequest, AIResponse, AIStreamPart, AIToolCall } from '../ai/types.js';

export type MockAIResponse =
  | string
  | { text?: string; toolCalls?: (Omit<AIToolCall, 'id'> & { id?: string })[] }
  | ((request: AIRequest) => string | Promise<string>);

export interface MockAIProviderOptions {
  /** Replies in order; the last one repeats. Default: echoes the last user message. */
  responses?: MockAIResponse[];
  streaming?: boolean;
  /** Delay before answering (and between streamed words). */
  delayMs?: number;
  /**
   * Keep every call in `calls` (default true, for tests to read). False keeps none: a load
   * test's mock, standing in for a remote vendor, should not hold every request it was sent.
   */
  recordCalls?: boolean;
}

/** A scripted AI provider for tests. Records every request in `calls` (unless `recordCalls: false`). */
export class MockAIProvider implements AIProvider {
  readonly name = 'mock';
  readonly model = 'mock-model';
  readonly supportsStreaming: boolean;
  readonly calls: AIRequest[] = [];
  private turn = 0;

  constructor(private readonly opts: MockAIProviderOptions = {}) {
    this.supportsStreaming = opts.streaming ?? false;
  }

  async generate(request: AIRequest): Promise<AIResponse> {
    if (this.opts.recordCalls !== false) this.calls.push(request);
    if (this.opts.delayMs) await delay(this.opts.delayMs, request.signal);
    const scripted = this.next();
    if (typeof scripted === 'function') return done(await scripted(request));
    if (typeof scripted === 'string') return done(scripted);
    if (scripted === undefined) return done(lastUser(request));
    const toolCalls = (scripted.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${this.turn}_${i}`,
      name: c.name,
      arguments: c.arguments ?? {},
    }));
    return { text: scripted.text ?? '', toolCalls, finishReason: toolCalls.length ? 'tool_calls' : 'stop' };
  }

  async *stream(request: AIRequest): AsyncIterable<AIStreamPart> {
    const response = await this.generate(request);
    const words = response.text.split(/(?<=\s)/);
    for (const word of words) {
      if (this.opts.delayMs) await delay(this.opts.delayMs, request.signal);
      if (word) yield { type: 'text-delta', text: word };
    }
    for (const toolCall of response.toolCalls) yield { type: 'tool-call', toolCall };
    yield { type: 'finish', finishReason: response.finishReason };
  }

  private next(): MockAIResponse | undefined {
    const list = this.opts.responses;
    if (!list?.length) return undefined;
    const item = list[Math.min(this.turn, list.length - 1)];
    this.turn++;
    return item;
  }
}

function done(text: string): AIResponse {
  return { text, toolCalls: [], finishReason: 'stop' };
}

function lastUser(request: AIRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role === 'user') return `echo: ${m.content}`;
  }
  return 'hello';
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    // The listener goes when the wait ends: a long streamed reply would pile one up per word.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
