import type { FakeRealtimeConnection } from './fake-server-base.js';
import {
  FakeOpenAIRealtimeServer,
  type FakeOpenAIRealtimeServerOptions,
} from './fake-openai-realtime-server.js';
import type { OpenAIFakeState } from './openai-fake-turns.js';

type Conn = FakeRealtimeConnection<OpenAIFakeState>;

export interface FakeXAIRealtimeServerOptions extends FakeOpenAIRealtimeServerOptions {
  /** Send `ping {timestamp}` keep-alives this often (default: off). */
  pingIntervalMs?: number;
}

const XAI_RATES = new Set([8000, 16000, 22050, 24000, 32000, 44100, 48000]);

/**
 * A fake xAI Grok voice agent: the OpenAI fake with xAI's differences — `conversation.created`
 * first (no `session.created`), PCM rates chosen per direction, `voice` at the top of the
 * session, `ping` keep-alives, a top-level `usage` on `response.done`, and no truncate.
 */
export class FakeXAIRealtimeServer extends FakeOpenAIRealtimeServer {
  constructor(private readonly xaiOptions: FakeXAIRealtimeServerOptions = {}) {
    super(xaiOptions);
  }

  /** Native tools the client configured (`web_search`, `x_search`...), per connection. */
  nativeTools(conn: Conn): unknown[] {
    return (conn.state.session.tools ?? []).filter((t: any) => t.type !== 'function');
  }

  protected override greet(conn: Conn): void {
    this.send(conn, {
      type: 'conversation.created',
      event_id: this.eventId(conn),
      conversation: { id: `conv_${conn.id}`, object: 'realtime.conversation' },
    });
    const every = this.xaiOptions.pingIntervalMs;
    if (every) {
      const timer = setInterval(() => {
        if (conn.closed) clearInterval(timer);
        else this.send(conn, { type: 'ping', timestamp: Date.now() });
      }, every);
      timer.unref();
    }
  }

  protected override defaultSession(): Record<string, any> {
    const format = { type: 'audio/pcm', rate: 24000 };
    return {
      instructions: '',
      voice: 'Eve',
      turn_detection: {
        type: 'server_vad',
        threshold: 0.85,
        prefix_padding_ms: 333,
        silence_duration_ms: 500,
      },
      audio: { input: { format }, output: { format, speed: 1 } },
      tools: [],
    };
  }

  protected override validateSessionUpdate(update: Record<string, any>): string | undefined {
    for (const dir of ['input', 'output'] as const) {
      const rate = update.audio?.[dir]?.format?.rate;
      if (rate !== undefined && !XAI_RATES.has(rate)) return `Unsupported ${dir} sample rate ${rate}`;
    }
    return undefined;
  }

  protected override turnDetection(conn: Conn): Record<string, any> | null {
    return conn.state.session.turn_detection ?? null;
  }

  /** Grok transcribes the user's audio whatever the session says. */
  protected override transcribesInput(): boolean {
    return true;
  }

  protected override responseDoneExtras(): Record<string, unknown> {
    return { usage: { total_tokens: 30, input_tokens: 10, output_tokens: 20 } };
  }

  /** Truncation is not documented for Grok; answer like an unknown event. */
  protected override handleTruncate(conn: Conn): void {
    this.sendError(conn, {
      code: 'invalid_event',
      message: "Unsupported event type 'conversation.item.truncate'",
    });
  }
}
