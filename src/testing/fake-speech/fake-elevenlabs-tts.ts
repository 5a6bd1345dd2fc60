import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ElevenLabsHttpRequest, HTTP_PATH, serveHttpSynthesis } from './elevenlabs-tts-http.js';
import {
  type FakeConnection,
  FakeSpeechServer,
  type FakeServerOptions,
  type ReceivedMessage,
} from './fake-server.js';

export interface FakeElevenLabsTTSOptions extends FakeServerOptions {
  /** Audio per word, ms (default 200). */
  msPerWord?: number;
  /** Extra delay between audio chunks, ms (default 0). */
  chunkIntervalMs?: number;
  /** Overrides the `inactivity_timeout` query parameter, ms. */
  inactivityTimeoutMs?: number;
}

const PATH = /^\/v1\/text-to-speech\/([^/]+)\/(stream-input|multi-stream-input)$/;
const MAX_CONTEXTS = 5;

interface Context {
  id: string;
  /** 1-based order of this context on the server; its PCM samples all equal it. */
  ordinal: number;
  buffer: string;
  scheduleIndex: number;
  schedule: number[];
  text: string[];
}

interface SocketState {
  multi: boolean;
  authenticated: boolean;
  rate: number;
  contexts: Map<string, Context>;
  timer?: NodeJS.Timeout;
}

/**
 * ElevenLabs TTS WebSockets: `stream-input` (one generation) and `multi-stream-input`
 * (contexts). Messages have no `type`: keys decide. Keys by header or first message,
 * `chunk_length_schedule` buffering, `flush`, alignment per chunk, `isFinal`,
 * `close_context`, `close_socket`, and the inactivity timeout (error JSON + 1008).
 * Also the HTTP endpoints (`POST /v1/text-to-speech/{voice}` and `/stream`), PCM and G.711.
 */
export class FakeElevenLabsTTSServer extends FakeSpeechServer {
  private readonly state = new WeakMap<FakeConnection, SocketState>();
  private ordinals = 0;
  /** Text each context received, by context ordinal. */
  readonly spokenText = new Map<number, string>();
  /** Every HTTP synthesis request, in order. */
  readonly httpRequests: ElevenLabsHttpRequest[] = [];

  constructor(readonly options: FakeElevenLabsTTSOptions = {}) {
    super(options);
  }

  get baseUrl(): string {
    return this.wsUrl;
  }

  protected override checkUpgrade(url: URL, req: IncomingMessage) {
    if (!PATH.test(url.pathname)) return { status: 404, body: 'Not Found' };
    const key = req.headers['xi-api-key'] as string | undefined;
    if (key !== undefined && !this.isValidKey(key)) {
      return {
        status: 401,
        body: JSON.stringify({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } }),
      };
    }
    return undefined;
  }

  protected override async handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!HTTP_PATH.test(url.pathname)) return super.handleHttp(req, res, url);
    await serveHttpSynthesis(req, res, url, {
      isValidKey: (key) => this.isValidKey(key),
      msPerWord: this.options.msPerWord ?? 200,
      chunkIntervalMs: this.options.chunkIntervalMs ?? 0,
      nextOrdinal: () => ++this.ordinals,
      record: (request) => this.httpRequests.push(request),
    });
  }

  protected override accept(conn: FakeConnection): void {
    const match = PATH.exec(conn.path) as RegExpExecArray;
    const format = conn.query.get('output_format') ?? 'mp3_44100_128';
    const rate = Number(/_(\d+)/.exec(format)?.[1] ?? 44_100);
    const state: SocketState = {
      multi: match[2] === 'multi-stream-input',
      authenticated: this.isValidKey(conn.headers['xi-api-key'] as string | undefined),
      rate,
      contexts: new Map(),
    };
    this.state.set(conn, state);
    this.touch(conn, state);
  }

  protected override onClosed(conn: FakeConnection): void {
    clearTimeout(this.state.get(conn)?.timer);
  }

  protected override onMessage(conn: FakeConnection, message: ReceivedMessage): void {
    const s = this.state.get(conn);
    if (!s || conn.closeCode !== undefined) return;
    this.touch(conn, s);
    if (message.kind !== 'json') {
      this.error(
        conn,
        'invalid_input_message',
        'Could not parse input message, make sure it is a json and follows the schema.',
      );
      return;
    }
    const msg = message.data;
    if (!s.authenticated) {
      const key = msg.xi_api_key ?? msg['xi-api-key'];
      if (!this.isValidKey(typeof key === 'string' ? key : undefined)) {
        this.error(conn, 'invalid_api_key', 'Invalid API key');
        return;
      }
      s.authenticated = true;
    }
    if (s.multi && msg.close_socket === true) {
      for (const ctx of s.contexts.values()) this.send(conn, { isFinal: true, contextId: ctx.id });
      this.closeAfterSends(conn, 1000);
      return;
    }
    const id = s.multi && typeof msg.context_id === 'string' ? msg.context_id : '';
    let ctx = s.contexts.get(id);
    if (!ctx) {
      if (!s.multi && msg.text !== ' ') {
        this.error(
          conn,
          'invalid_input_message',
          'The first message must be a single space (" ") with the settings.',
        );
        return;
      }
      if (s.contexts.size >= MAX_CONTEXTS) {
        this.error(conn, 'max_active_conversations', `At most ${MAX_CONTEXTS} contexts per connection.`);
        return;
      }
      const schedule = (msg.generation_config as { chunk_length_schedule?: number[] } | undefined)
        ?.chunk_length_schedule;
      ctx = {
        id,
        ordinal: ++this.ordinals,
        buffer: '',
        scheduleIndex: 0,
        schedule: schedule ?? [120, 160, 250, 290],
        text: [],
      };
      s.contexts.set(id, ctx);
    }
    if (msg.close_context === true) {
      // Stops the context: buffered (unflushed) text is dropped.
      s.contexts.delete(id);
      this.send(conn, { isFinal: true, contextId: id });
      return;
    }
    const text = typeof msg.text === 'string' ? msg.text : undefined;
    if (!s.multi && text === '') {
      this.generate(conn, s, ctx, true);
      this.send(conn, { isFinal: true });
      this.closeAfterSends(conn, 1000);
      return;
    }
    if (text) ctx.buffer += text;
    this.generate(conn, s, ctx, msg.flush === true);
  }

  private generate(conn: FakeConnection, s: SocketState, ctx: Context, all: boolean): void {
    let cut: number;
    if (all) {
      cut = ctx.buffer.length;
    } else {
      const need = ctx.schedule[Math.min(ctx.scheduleIndex, ctx.schedule.length - 1)];
      if (ctx.buffer.trim().length < need) return;
      cut = ctx.buffer.lastIndexOf(' ') + 1;
      ctx.scheduleIndex++;
    }
    const words = ctx.buffer.slice(0, cut).split(/\s+/).filter(Boolean);
    ctx.buffer = ctx.buffer.slice(cut);
    ctx.text.push(...words);
    this.spokenText.set(ctx.ordinal, ctx.text.join(' '));
    const msPerWord = this.options.msPerWord ?? 200;
    for (const word of words) {
      const chars = [...word, ' '];
      const step = msPerWord / chars.length;
      const alignment = {
        chars,
        charStartTimesMs: chars.map((_, i) => Math.round(i * step)),
        charDurationsMs: chars.map(() => Math.round(step)),
      };
      const pcm = new Int16Array(Math.round((s.rate * msPerWord) / 1000)).fill(ctx.ordinal);
      this.send(
        conn,
        {
          audio: Buffer.from(pcm.buffer).toString('base64'),
          normalizedAlignment: alignment,
          alignment,
          ...(s.multi ? { contextId: ctx.id } : {}),
        },
        this.options.chunkIntervalMs ?? 0,
      );
    }
  }

  private touch(conn: FakeConnection, s: SocketState): void {
    clearTimeout(s.timer);
    const seconds = Number(conn.query.get('inactivity_timeout') ?? 20);
    const ms = this.options.inactivityTimeoutMs ?? seconds * 1000;
    s.timer = setTimeout(
      () =>
        this.error(
          conn,
          'input_timeout_exceeded',
          `Have not received a new text input within the timeout of ${seconds} seconds. Streaming input terminated.`,
        ),
      ms,
    );
  }

  private error(conn: FakeConnection, error: string, message: string): void {
    this.send(conn, { message, error, code: 1008 });
    this.closeAfterSends(conn, 1008, message.slice(0, 120));
  }
}
