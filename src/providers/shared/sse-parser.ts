/**
 * Server-sent events over a fetch body. Vendors split the stream wherever their proxies
 * please, so the decoder must survive a boundary anywhere: inside a line, between a CR and
 * its LF, or inside a multi-byte UTF-8 character.
 */

export interface SSEMessage {
  /** The `event:` name; undefined when the server sent only `data:` lines. */
  event?: string;
  /** All `data:` lines of the event, joined with '\n' as the SSE spec says. */
  data: string;
  id?: string;
}

/** Incremental decoder: feed it text in any pieces, get whole events back. */
export class SSEDecoder {
  private buffer = '';
  /** A chunk ended on CR: if the next starts with LF, that LF belongs to the same line end. */
  private skipLeadingLF = false;
  private eventName: string | undefined;
  private dataLines: string[] = [];
  private lastEventId: string | undefined;

  push(text: string): SSEMessage[] {
    if (this.skipLeadingLF && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLF = false;
    this.buffer += text;
    const events: SSEMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.skipLeadingLF = true;
        }
      }
      start = i + 1;
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** End of stream: a last event without its blank line still counts (servers do that). */
  end(): SSEMessage[] {
    const events: SSEMessage[] = [];
    if (this.buffer.length > 0) {
      const event = this.processLine(this.buffer);
      this.buffer = '';
      if (event) events.push(event);
    }
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private processLine(line: string): SSEMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        break; // `retry` and unknown fields mean nothing to a one-shot HTTP stream
    }
    return undefined;
  }

  private dispatch(): SSEMessage | undefined {
    const hadData = this.dataLines.length > 0;
    const message: SSEMessage = { data: this.dataLines.join('\n') };
    if (this.eventName !== undefined) message.event = this.eventName;
    if (this.lastEventId !== undefined) message.id = this.lastEventId;
    this.dataLines = [];
    this.eventName = undefined;
    // An event with no data lines is not dispatched (SSE spec), only its fields reset.
    return hadData ? message : undefined;
  }
}

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Yield the events of a byte stream. Aborting `signal` cancels the underlying body at once
 * and makes the iteration reject with the signal's reason; breaking out of the loop early
 * cancels the body too, so the connection is never left half-read.
 */
export async function* parseSSE(source: ByteSource, signal?: AbortSignal): AsyncGenerator<SSEMessage> {
  signal?.throwIfAborted();
  const iterator = toIterator(source);
  const decoder = new TextDecoder('utf-8');
  const sse = new SSEDecoder();
  // A pending read must not outlive an abort, whatever the fetch implementation does.
  const onAbort = () => void iterator.return?.().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    while (true) {
      const { value, done } = await iterator.next();
      signal?.throwIfAborted();
      if (done) break;
      yield* sse.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* sse.push(decoder.decode());
    yield* sse.end();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) await iterator.return?.().catch(() => {});
  }
}

function toIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  // Prefer a reader: cancel() settles a pending read at once, whereas a stream's own async
  // iterator queues return() behind the read it is waiting on.
  if (!('getReader' in source)) return source[Symbol.asyncIterator]();
  const reader = source.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    return: async () => {
      await reader.cancel().catch(() => {});
      return { done: true, value: undefined };
    },
  };
}
