import type { IncomingMessage } from 'node:http';
import { decodeRealtimeAudio, encodeRealtimeAudio } from '../../providers/shared/realtime-wire-audio.js';
import type { FakeRealtimeConnection, FakeRealtimeServerOptions } from './fake-server-base.js';
import { OpenAIFakeTurns, type OpenAIFakeState } from './openai-fake-turns.js';

type Conn = FakeRealtimeConnection<OpenAIFakeState>;

export interface FakeOpenAIRealtimeServerOptions extends FakeRealtimeServerOptions {
  /** The only key accepted (default 'test-key'); others get HTTP 401 at the upgrade. */
  apiKey?: string;
  /** Session limit (default 60 min): then `session_expired` and close 1001, as the real one. */
  maxSessionMs?: number;
}

/**
 * A fake OpenAI Realtime (GA) server: `/v1/realtime?model=`, bearer auth, `session.created`
 * first, `session.update` -> `session.updated`, server VAD (or manual commit), the GA
 * response sequence with audio/transcript deltas, function calls, cancel and truncate
 * validation, non-fatal `error` events, and the session limit.
 */
export class FakeOpenAIRealtimeServer extends OpenAIFakeTurns {
  protected readonly apiKey: string;

  constructor(protected readonly openaiOptions: FakeOpenAIRealtimeServerOptions = {}) {
    super(openaiOptions);
    this.apiKey = openaiOptions.apiKey ?? 'test-key';
  }

  /** A fatal server failure: a server_error event, then close 1011. */
  failSession(conn: Conn): void {
    this.sendError(conn, {
      type: 'server_error',
      code: 'server_error',
      message: 'The server had an error while processing your request.',
    });
    this.closeConnection(conn, 1011, 'Internal error');
  }

  /** What the real server does at the session limit. */
  expireSession(conn: Conn): void {
    const minutes = Math.round((this.openaiOptions.maxSessionMs ?? 3_600_000) / 60_000);
    const message = `Your session hit the maximum duration of ${minutes} minutes.`;
    this.sendError(conn, { type: 'invalid_request_error', code: 'session_expired', message });
    this.closeConnection(conn, 1001, message);
  }

  // ---- dialect hooks (xAI overrides) ---------------------------------------------------

  protected path = '/v1/realtime';

  protected greet(conn: Conn): void {
    this.send(conn, {
      type: 'session.created',
      event_id: this.eventId(conn),
      session: { id: `sess_${conn.id}`, object: 'realtime.session', ...conn.state.session },
    });
  }

  protected defaultSession(model: string): Record<string, any> {
    const format = { type: 'audio/pcm', rate: 24000 };
    return {
      type: 'realtime',
      model,
      instructions: '',
      output_modalities: ['audio'],
      tools: [],
      tool_choice: 'auto',
      audio: {
        // Transcription and noise reduction are off: the fields are absent (never null).
        input: {
          format,
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format, voice: 'alloy', speed: 1 },
      },
    };
  }

  /** An error message when the update is not acceptable. */
  protected validateSessionUpdate(update: Record<string, any>): string | undefined {
    if (update.type !== 'realtime' && update.type !== 'transcription')
      return "Missing required parameter: 'session.type'.";
    if (
      update.audio?.input?.format &&
      update.audio.input.format.type === 'audio/pcm' &&
      update.audio.input.format.rate !== 24000
    )
      return 'Invalid input audio rate; only 24000 is supported.';
    return undefined;
  }

  protected turnDetection(conn: Conn): Record<string, any> | null {
    return conn.state.session.audio?.input?.turn_detection ?? null;
  }

  protected inputRate(conn: Conn): number {
    const format = conn.state.session.audio?.input?.format;
    return g711(format) ? 8000 : (format?.rate ?? 24000);
  }

  protected outputRate(conn: Conn): number {
    const format = conn.state.session.audio?.output?.format;
    return g711(format) ? 8000 : (format?.rate ?? 24000);
  }

  /** G.711 sessions (`audio/pcmu`, `audio/pcma`) carry base64 codes, 8 kHz. */
  protected override encodeAudio(conn: Conn, pcm: Int16Array): string {
    return encodeRealtimeAudio(pcm, g711(conn.state.session.audio?.output?.format) ?? 'pcm16');
  }

  private decodeInput(conn: Conn, b64: string): Int16Array {
    return decodeRealtimeAudio(b64, g711(conn.state.session.audio?.input?.format) ?? 'pcm16');
  }

  protected handleTruncate(conn: Conn, msg: any): void {
    const sent = conn.state.audioMsByItem.get(msg.item_id);
    if (sent === undefined) {
      this.sendError(conn, {
        code: 'item_not_found',
        message: `Item with item_id not found: ${msg.item_id}`,
      });
    } else if (typeof msg.audio_end_ms !== 'number' || msg.audio_end_ms > sent) {
      this.sendError(conn, {
        code: 'invalid_value',
        message: `Audio content of ${Math.floor(sent)}ms is already shorter than ${msg.audio_end_ms}ms`,
      });
    } else {
      conn.state.audioMsByItem.set(msg.item_id, msg.audio_end_ms);
      this.send(conn, {
        type: 'conversation.item.truncated',
        event_id: this.eventId(conn),
        item_id: msg.item_id,
        content_index: msg.content_index ?? 0,
        audio_end_ms: msg.audio_end_ms,
      });
    }
  }

  // ---- FakeRealtimeServer hooks ------------------------------------------------------------

  protected createState(url: URL): OpenAIFakeState {
    const model = url.searchParams.get('model') ?? '';
    return {
      model,
      session: this.defaultSession(model),
      transcript: '',
      audioMsByItem: new Map(),
      toolOutputReceived: false,
      counter: 0,
      items: new Map(),
      bufferedMs: 0,
      responseCalls: [],
    };
  }

  protected checkUpgrade(req: IncomingMessage, url: URL): { status: number; body: string } | undefined {
    if (url.pathname !== this.path) return { status: 404, body: '{"error":{"message":"Not found"}}' };
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return {
        status: 401,
        body: JSON.stringify({
          error: {
            message: 'Incorrect API key provided.',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
            param: null,
          },
        }),
      };
    }
    if (!url.searchParams.get('model'))
      return { status: 400, body: '{"error":{"message":"Missing required parameter: model"}}' };
    return undefined;
  }

  protected onOpen(conn: Conn): void {
    this.greet(conn);
    const limit = this.openaiOptions.maxSessionMs;
    if (limit !== undefined) setTimeout(() => !conn.closed && this.expireSession(conn), limit).unref();
  }

  protected onMessage(conn: Conn, msg: any): void {
    const handler = this.clientEvents[msg.type];
    if (handler) handler(conn, msg);
    else {
      this.sendError(conn, {
        code: 'invalid_value',
        message: `Invalid value: '${msg.type}'. Supported values are: 'session.update', 'input_audio_buffer.append', ...`,
      });
    }
  }

  private readonly clientEvents: Record<string, (conn: Conn, msg: any) => void> = {
    'session.update': (conn, msg) => {
      const problem = this.validateSessionUpdate(msg.session ?? {});
      if (problem) this.sendError(conn, { code: 'invalid_value', message: problem });
      else {
        conn.state.session = mergeSession(conn.state.session, msg.session);
        this.send(conn, {
          type: 'session.updated',
          event_id: this.eventId(conn),
          session: conn.state.session,
        });
      }
    },
    'input_audio_buffer.append': (conn, msg) => {
      const pcm = this.decodeInput(conn, msg.audio ?? '');
      const ms = (pcm.length / this.inputRate(conn)) * 1000;
      if (!this.turnDetection(conn)) {
        conn.inputMs += ms;
        conn.state.bufferedMs += ms;
        return;
      }
      // The server VAD keeps speech only: silence outside an utterance never fills the buffer,
      // and its own commit at speech end empties it.
      if (conn.speaking) conn.state.bufferedMs += ms;
      const wasSpeaking = conn.speaking;
      this.handleUserAudio(conn, pcm, this.inputRate(conn));
      if (!wasSpeaking && conn.speaking) conn.state.bufferedMs += ms;
    },
    'input_audio_buffer.commit': (conn) => this.commit(conn),
    'conversation.item.commit': (conn) => this.commit(conn), // an earlier xAI name, accepted too
    'input_audio_buffer.clear': (conn) => {
      conn.state.bufferedMs = 0;
      this.send(conn, { type: 'input_audio_buffer.cleared', event_id: this.eventId(conn) });
    },
    'conversation.item.create': (conn, msg) => {
      const item = msg.item ?? {};
      if (item.type === 'function_call_output') {
        if (!conn.pendingTool || item.call_id !== conn.pendingTool.callId) {
          this.sendError(conn, {
            code: 'invalid_value',
            message: `No function call with call_id ${item.call_id}`,
          });
          return;
        }
        conn.state.toolOutputReceived = true;
      }
      const done = {
        ...item,
        id: item.id ?? this.itemId(conn),
        object: 'realtime.item',
        status: 'completed',
      };
      this.addItem(conn, done);
      this.itemDone(conn, done);
    },
    'conversation.item.retrieve': (conn, msg) => {
      const item = conn.state.items.get(msg.item_id);
      if (!item) this.itemNotFound(conn, msg.item_id);
      else this.send(conn, { type: 'conversation.item.retrieved', event_id: this.eventId(conn), item });
    },
    'conversation.item.delete': (conn, msg) => {
      if (!conn.state.items.delete(msg.item_id)) this.itemNotFound(conn, msg.item_id);
      else
        this.send(conn, {
          type: 'conversation.item.deleted',
          event_id: this.eventId(conn),
          item_id: msg.item_id,
        });
    },
    'response.create': (conn) => {
      if (conn.responding) {
        this.sendError(conn, {
          code: 'conversation_already_has_active_response',
          message: 'Conversation already has an active response in progress.',
        });
      } else if (conn.state.toolOutputReceived) {
        conn.state.toolOutputReceived = false;
        void this.continueAfterTool(conn);
      } else void this.respond(conn, this.nextTurn());
    },
    'response.cancel': (conn) => {
      if (!conn.responding) {
        this.sendError(conn, {
          code: 'response_cancel_not_active',
          message: 'Cancellation failed: no active response found',
        });
        return;
      }
      conn.state.cancelReason = 'client_cancelled';
      conn.cancelled = true;
      this.releaseReply(conn);
    },
    'conversation.item.truncate': (conn, msg) => this.handleTruncate(conn, msg),
  };

  private itemNotFound(conn: Conn, itemId: unknown): void {
    this.sendError(conn, {
      code: 'item_not_found',
      message: `Item with item_id not found: ${String(itemId)}`,
    });
  }

  /** Manual turn: the buffered audio becomes the user item; the answer waits for response.create. */
  private commit(conn: Conn): void {
    const buffered = conn.state.bufferedMs;
    if (buffered < 100) {
      this.sendError(conn, {
        code: 'input_audio_buffer_commit_empty',
        message: `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${buffered.toFixed(2)}ms of audio.`,
      });
      return;
    }
    this.commitUserItem(conn);
    const turn = this.nextTurn();
    if (turn.userTranscript) this.emitUserTranscript(conn, turn.userTranscript);
    this.turns.unshift({ ...turn, userTranscript: undefined });
  }
}

/** session.update semantics: omitted fields stay, nested audio settings merge, null turns a feature off. */
export function mergeSession(current: Record<string, any>, update: Record<string, any>): Record<string, any> {
  const audio = update.audio
    ? {
        input: withoutNulls({ ...current.audio?.input, ...update.audio.input }, [
          'transcription',
          'noise_reduction',
        ]),
        output: { ...current.audio?.output, ...update.audio.output },
      }
    : current.audio;
  return { ...current, ...update, audio };
}

/** A feature set to null is off, and an off feature is reported by its absence. */
function withoutNulls(input: Record<string, any>, keys: string[]): Record<string, any> {
  for (const key of keys) if (input[key] === null) delete input[key];
  return input;
}

function g711(format: { type?: string } | undefined): 'g711_ulaw' | 'g711_alaw' | undefined {
  if (format?.type === 'audio/pcmu') return 'g711_ulaw';
  if (format?.type === 'audio/pcma') return 'g711_alaw';
  return undefined;
}
