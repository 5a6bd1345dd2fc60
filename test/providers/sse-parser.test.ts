import { describe, expect, it } from 'vitest';
import { parseSSE, SSEDecoder, type SSEMessage } from '../../src/providers/shared/sse-parser.js';

const encoder = new TextEncoder();

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function parseAll(chunks: Uint8Array[]): Promise<SSEMessage[]> {
  const out: SSEMessage[] = [];
  for await (const event of parseSSE(streamOf(chunks))) out.push(event);
  return out;
}

// Every feature at once: CRLF and bare CR, comments, event names, multi-line data, ids,
// multi-byte UTF-8 (2, 3 and 4 bytes) and a last event with no blank line after it.
const SAMPLE =
  ': keep-alive comment\r\n' +
  'event: message_start\r\n' +
  'data: {"text":"café"}\r\n' +
  '\r\n' +
  'data: line one\n' +
  'data:line two\n' +
  'id: 7\n' +
  '\n' +
  'event: delta\r' +
  'data: 日本語 🎉\r' +
  '\r' +
  'retry: 1000\n' +
  'event: ignored-without-data\n' +
  '\n' +
  'data: [DONE]';

const EXPECTED: SSEMessage[] = [
  { event: 'message_start', data: '{"text":"café"}' },
  { data: 'line one\nline two', id: '7' },
  { event: 'delta', data: '日本語 🎉', id: '7' },
  { data: '[DONE]', id: '7' },
];

describe('SSE parser', () => {
  it('parses a stream delivered in one piece', async () => {
    expect(await parseAll([encoder.encode(SAMPLE)])).toEqual(EXPECTED);
  });

  it('gives the same events for every split point, including mid-line, mid-CRLF and mid-UTF-8', async () => {
    const bytes = encoder.encode(SAMPLE);
    for (let cut = 1; cut < bytes.length; cut++) {
      const events = await parseAll([bytes.slice(0, cut), bytes.slice(cut)]);
      expect(events, `split at byte ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when every byte arrives alone', async () => {
    const bytes = encoder.encode(SAMPLE);
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await parseAll(chunks)).toEqual(EXPECTED);
  });

  it('treats CR then LF in separate chunks as one line end, not an empty line', () => {
    const decoder = new SSEDecoder();
    expect(decoder.push('data: a\r')).toEqual([]);
    expect(decoder.push('\ndata: b\r\n')).toEqual([]);
    expect(decoder.push('\r\n')).toEqual([{ data: 'a\nb' }]);
  });

  it('keeps a data value that itself contains a colon and strips only one leading space', () => {
    const decoder = new SSEDecoder();
    expect(decoder.push('data:  {"a": 1}\n\n')).toEqual([{ data: ' {"a": 1}' }]);
  });

  it('accepts any async iterable of bytes', async () => {
    async function* chunks() {
      yield encoder.encode('data: x\n');
      yield encoder.encode('\n');
    }
    const out: SSEMessage[] = [];
    for await (const event of parseSSE(chunks())) out.push(event);
    expect(out).toEqual([{ data: 'x' }]);
  });

  it('an abort rejects a pending read with the abort reason and cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: first\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of parseSSE(body, controller.signal)) {
        seen.push(event.data);
        controller.abort(); // the next read would wait forever: the body never closes
      }
    })();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['first']);
    expect(cancelled).toBe(true);
  });

  it('breaking out of the loop cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of parseSSE(body)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
