/**
 * Vendor answers the fakes never produce on their own: byte streams cut mid-character,
 * connections dropped mid-answer, unknown event kinds, malformed bodies. Served by a raw
 * node:http server so the providers meet them over real HTTP.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { GeminiProvider } from '../../src/providers/gemini/index.js';
import { OpenAIProvider } from '../../src/providers/openai/index.js';
import { collect } from '../conformance/ai-provider.js';

type Script = (res: ServerResponse) => Promise<void> | void;

let script: Script = (res) => {
  res.end();
};
let origin = '';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => void script(res));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Write each piece as its own TCP write, waiting for it to flush, so the client sees the splits. */
function serveSSE(pieces: Array<string | Uint8Array>, opts: { end?: 'close' | 'destroy' } = {}): Script {
  return async (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (const piece of pieces) {
      await new Promise<void>((resolve) => res.write(piece, () => resolve()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (opts.end === 'destroy') res.socket?.destroy();
    else res.end();
  };
}

const serveJSON =
  (status: number, body: unknown): Script =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

const user = [{ role: 'user' as const, content: 'hi' }];
const anthropic = () => new AnthropicProvider({ baseUrl: origin, apiKey: 'k' });
const openai = () => new OpenAIProvider({ baseUrl: origin, apiKey: 'k' });
const gemini = () => new GeminiProvider({ baseUrl: origin, apiKey: 'k' });

const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

describe('vendor edge cases over real HTTP', () => {
  it('Gemini: CRLF events split mid-line and mid-UTF-8 character still decode to the exact text', async () => {
    const chunk = (text: string, finishReason?: string) =>
      `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }] })}\r\n\r\n`;
    const bytes = new TextEncoder().encode(chunk('Grüße, ') + chunk('日本 🎉', 'STOP'));
    // Cut inside 'ü' (2 bytes), inside '日' (3 bytes) and inside '🎉' (4 bytes), and between CR and LF.
    const cuts = [
      findByteCut(bytes, 'ü'),
      findByteCut(bytes, '日'),
      findByteCut(bytes, '🎉'),
      bytes.indexOf(13) + 1,
    ];
    script = serveSSE(splitAt(bytes, cuts));
    const parts = await collect(gemini().stream({ messages: user }));
    expect(parts).toEqual([
      { type: 'text-delta', text: 'Grüße, ' },
      { type: 'text-delta', text: '日本 🎉' },
      { type: 'finish', finishReason: 'stop', usage: undefined },
    ]);
  });

  it('Anthropic: unknown event types and block kinds (thinking) are skipped, not fatal', async () => {
    script = serveSSE([
      ev('message_start', {
        type: 'message_start',
        message: { id: 'm', usage: { input_tokens: 4, output_tokens: 1 } },
      }),
      ev('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '' },
      }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'hmm' },
      }),
      ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
      ev('some_future_event', { type: 'some_future_event', whatever: 1 }),
      ev('content_block_start', {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'text', text: '' },
      }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'text_delta', text: 'Hi' },
      }),
      ev('content_block_stop', { type: 'content_block_stop', index: 1 }),
      ev('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 7 },
      }),
      ev('message_stop', { type: 'message_stop' }),
    ]);
    expect(await collect(anthropic().stream({ messages: user }))).toEqual([
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 7 } },
    ]);
  });

  it('Anthropic: a connection dropped mid-stream is a retryable ProviderError', async () => {
    script = serveSSE(
      [
        ev('message_start', { type: 'message_start', message: { usage: { input_tokens: 4 } } }),
        ev('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'Hel' },
        }),
      ],
      { end: 'destroy' },
    );
    const err = await collect(anthropic().stream({ messages: user })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect((err as ProviderError).message).toMatch(/^anthropic: /);
  });

  it('Anthropic: a stream that closes cleanly before message_stop is an incomplete-stream error', async () => {
    script = serveSSE([
      ev('message_start', { type: 'message_start', message: { usage: { input_tokens: 4 } } }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Hel' },
      }),
    ]);
    const err = await collect(anthropic().stream({ messages: user })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'incomplete_stream', retryable: true, provider: 'anthropic' });
  });

  it('Anthropic: a known event with a broken shape is an invalid_response ProviderError', async () => {
    script = serveSSE([
      ev('content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: 1 } }),
    ]);
    const err = await collect(anthropic().stream({ messages: user })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'invalid_response', provider: 'anthropic' });
  });

  it('OpenAI-compatible: usage chunk with choices null and no [DONE] still finishes with usage', async () => {
    const data = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
    script = serveSSE([
      ': OPENROUTER PROCESSING\n\n',
      data({
        id: 'c',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Yo' }, finish_reason: null }],
      }),
      data({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      data({ id: 'c', choices: null, usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
    ]);
    expect(await collect(openai().stream({ messages: user }))).toEqual([
      { type: 'text-delta', text: 'Yo' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });

  it('OpenAI: a non-JSON error page still becomes a typed error with its text', async () => {
    script = serveJSON(502, '<html>Bad Gateway</html>');
    const err = await openai()
      .generate({ messages: user })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, retryable: true, message: 'openai: <html>Bad Gateway</html>' });
  });

  it('Gemini: a 200 answer of the wrong shape is an invalid_response ProviderError', async () => {
    script = serveJSON(200, { candidates: 'nope' });
    const err = await gemini()
      .generate({ messages: user })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'invalid_response', provider: 'gemini', retryable: false });
  });

  it('Gemini: a prompt blocked with no candidates maps to content_filter', async () => {
    script = serveJSON(200, {
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 2 },
    });
    expect(await gemini().generate({ messages: user })).toEqual({
      text: '',
      toolCalls: [],
      finishReason: 'content_filter',
      usage: { inputTokens: 2, outputTokens: undefined },
    });
  });
});

/** The byte offset one past the first byte of `char`, i.e. inside its UTF-8 encoding. */
function findByteCut(bytes: Uint8Array, char: string): number {
  const target = new TextEncoder().encode(char);
  for (let i = 0; i <= bytes.length - target.length; i++) {
    if (target.every((b, j) => bytes[i + j] === b)) return i + 1;
  }
  throw new Error(`${char} not found`);
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const sorted = [...new Set(cuts)].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}
