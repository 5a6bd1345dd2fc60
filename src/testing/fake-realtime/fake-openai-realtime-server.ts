import type { IncomingMessage } from 'node:http';
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import { FakeConnection, FakeRealtimeServer, type FakeRealtimeServerOptions } from './fake-server-base.js';
import type { ReplyChunk } from './script.js';
import { transcriptDeltas } from './script.js';

export interface FakeOpenAIRealtimeServerOptions extends FakeRealtimeServerOptions {
  /** The only key accepted (default 'test-key'); others get HTTP 401 at the upgrade. */
  apiKey?: string;
  /** Session limit (default 60 min): then `session_expired` and close 1001, as the real one. */
  maxSessionMs?: number;
}

export interface OpenAIFakeState {
  model: string;
  /** Effective session config (what session.updated reports). */
  session: Record<string, any>;
  responseId?: string;
  messageItemId?: string;
  transcript: string;
  userItemId?: string;
  /** Milliseconds of audio sent per assistant item (truncate is validated against it). */
  audioMsByItem: Map<string, number>;
  toolOutputReceived: boolean;
  manualTurnReady: boolean;
  cancelReason?: string;
  counter: number;
}

/**
 * A fake OpenAI Realtime (GA) server: `/v1/realtime?model=`, bearer auth, `session.created`
 * first, `session.update` -> `session.updated`, server VAD (or manual commit), the GA
 * response sequence with audio/transcript deltas, function calls, cancel and truncate
 * validation, non-fatal `error` events, and the session limit.
 */
export class FakeOpenAIRealtimeServer extends FakeRealtimeServer<OpenAIFakeState> {
  protected readonly apiKey: string;

  constructor(protected readonly openaiOptions: FakeOpenAIRealtimeServerOptions = {}) {
    super(openaiOptions);
    this.apiKey = openaiOptions.apiKey ?? 'test-key';
  }

  /** A non-fatal `error` event (the session stays open). */
  sendError(
    conn: FakeConnection<OpenAIFakeState>,
    error: { type?: string; code?: string; message: string },
  ): void {
    this.send(conn, {
      type: 'error',
      event_id: this.eventId(conn),
      error: {
        type: error.type ?? 'invalid_request_error',
        code: error.code ?? null,
        message: error.message,
        param: null,
        event_id: null,
      },
    });
  }

  /** A fatal server failure: a server_error event, then close 1011. */
  failSession(conn: FakeConnection<OpenAIFakeState>): void {
    this.sendError(conn, {
      type: 'server_error',
      code: 'server_error',
      message: 'The server had an error while processing your request.',
    });
    this.closeConnection(conn, 1011, 'Internal error');
  }

  /** What the real server does at the session limit. */
  expireSession(conn: FakeConnection<OpenAIFakeState>): void {
    const minutes = Math.round((this.openaiOptions.maxSessionMs ?? 3_600_000) / 60_000);
    const message = `Your session hit the maximum duration of ${minutes} minutes.`;
    this.sendError(conn, { type: 'invalid_request_error', code: 'session_expired', message });
    this.closeConnection(conn, 1001, message);
  }

  // ---- dialect hooks (xAI overrides) ---------------------------------------------------

  protected path = '/v1/realtime';

  protected greet(conn: FakeConnection<OpenAIFakeState>): void {
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
        input: {
          format,
          transcription: null,
          noise_reduction: null,
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

  protected turnDetection(conn: FakeConnection<OpenAIFakeState>): Record<string, any> | null {
    return conn.state.session.audio?.input?.turn_detection ?? null;
  }

  protected inputRate(conn: FakeConnection<OpenAIFakeState>): number {
    return conn.state.session.audio?.input?.format?.rate ?? 24000;
  }

  protected outputRate(conn: FakeConnection<OpenAIFakeState>): number {
    return conn.state.session.audio?.output?.format?.rate ?? 24000;
  }

  protected responseDoneExtras(): Record<string, unknown> {
    return {};
  }

  protected handleTruncate(conn: FakeConnection<OpenAIFakeState>, msg: any): void {
    const sent = conn.state.audioMsByItem.get(msg.item_id);
    if (sent === undefined)
      return this.sendError(conn, {
        code: 'item_not_found',
        message: `Item with item_id not found: ${msg.item_id}`,
      });
    if (typeof msg.audio_end_ms !== 'number' || msg.audio_end_ms > sent) {
      return this.sendError(conn, {
        code: 'invalid_value',
        message: `Audio content of ${Math.floor(sent)}ms is already shorter than ${msg.audio_end_ms}ms`,
      });
    }
    conn.state.audioMsByItem.set(msg.item_id, msg.audio_end_ms);
    this.send(conn, {
      type: 'conversation.item.truncated',
      event_id: this.eventId(conn),
      item_id: msg.item_id,
      content_index: msg.content_index ?? 0,
      audio_end_ms: msg.audio_end_ms,
    });
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
      manualTurnReady: false,
      counter: 0,
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

  protected onOpen(conn: FakeConnection<OpenAIFakeState>): void {
    this.greet(conn);
    const limit = this.openaiOptions.maxSessionMs;
    if (limit !== undefined) setTimeout(() => !conn.closed && this.expireSession(conn), limit).unref();
  }

  protected onMessage(conn: FakeConnection<OpenAIFakeState>, msg: any): void {
    const st = conn.state;
    switch (msg.type) {
      case 'session.update': {
        const problem = this.validateSessionUpdate(msg.session ?? {});
        if (problem) return this.sendError(conn, { code: 'invalid_value', message: problem });
        st.session = mergeSession(st.session, msg.session);
        return this.send(conn, {
          type: 'session.updated',
          event_id: this.eventId(conn),
          session: st.session,
        });
      }
      case 'input_audio_buffer.append': {
        const pcm = base64ToPcm16(msg.audio ?? '');
        if (this.turnDetection(conn)) this.handleUserAudio(conn, pcm, this.inputRate(conn));
        else conn.inputMs += (pcm.length / this.inputRate(conn)) * 1000;
        return;
      }
      case 'conversation.item.commit': // an earlier xAI name; the OpenAI fake accepts it too
      case 'input_audio_buffer.commit': {
        if (conn.inputMs === 0)
          return this.sendError(conn, {
            code: 'input_audio_buffer_commit_empty',
            message: 'Error committing input audio buffer: buffer too small.',
          });
        conn.inputMs = 0;
        this.commitUserItem(conn);
        const turn = this.nextTurn();
        if (turn.userTranscript) this.emitUserTranscript(conn, turn.userTranscript);
        this.turns.unshift({ ...turn, userTranscript: undefined });
        st.manualTurnReady = true;
        return;
      }
      case 'input_audio_buffer.clear':
        conn.inputMs = 0;
        return this.send(conn, { type: 'input_audio_buffer.cleared', event_id: this.eventId(conn) });
      case 'conversation.item.create': {
        const item = msg.item ?? {};
        if (item.type === 'function_call_output') {
          if (!conn.pendingTool || item.call_id !== conn.pendingTool.callId)
            return this.sendError(conn, {
              code: 'invalid_value',
              message: `No function call with call_id ${item.call_id}`,
            });
          st.toolOutputReceived = true;
        } else if (item.type === 'message') st.manualTurnReady = true;
        const id = item.id ?? this.itemId(conn);
        this.send(conn, {
          type: 'conversation.item.added',
          event_id: this.eventId(conn),
          previous_item_id: null,
          item: { ...item, id, object: 'realtime.item', status: 'completed' },
        });
        return this.send(conn, {
          type: 'conversation.item.done',
          event_id: this.eventId(conn),
          previous_item_id: null,
          item: { ...item, id, object: 'realtime.item', status: 'completed' },
        });
      }
      case 'response.create': {
        if (conn.responding)
          return this.sendError(conn, {
            code: 'conversation_already_has_active_response',
            message: 'Conversation already has an active response in progress.',
          });
        if (st.toolOutputReceived) {
          st.toolOutputReceived = false;
          return void this.continueAfterTool(conn);
        }
        st.manualTurnReady = false;
        return void this.respond(conn, this.nextTurn());
      }
      case 'response.cancel':
        if (!conn.responding)
          return this.sendError(conn, {
            code: 'response_cancel_not_active',
            message: 'Cancellation failed: no active response found',
          });
        st.cancelReason = 'client_cancelled';
        conn.cancelled = true;
        return this.releaseReply(conn);
      case 'conversation.item.truncate':
        return this.handleTruncate(conn, msg);
      default:
        return this.sendError(conn, {
          code: 'invalid_value',
          message: `Invalid value: '${msg.type}'. Supported values are: 'session.update', 'input_audio_buffer.append', ...`,
        });
    }
  }

  protected onSpeechStarted(conn: FakeConnection<OpenAIFakeState>): void {
    conn.state.userItemId = this.itemId(conn);
    conn.state.cancelReason = 'turn_detected';
    this.send(conn, {
      type: 'input_audio_buffer.speech_started',
      event_id: this.eventId(conn),
      audio_start_ms: Math.round(conn.inputMs),
      item_id: conn.state.userItemId,
    });
  }

  protected onSpeechStopped(conn: FakeConnection<OpenAIFakeState>): boolean {
    this.send(conn, {
      type: 'input_audio_buffer.speech_stopped',
      event_id: this.eventId(conn),
      audio_end_ms: Math.round(conn.inputMs),
      item_id: conn.state.userItemId,
    });
    this.commitUserItem(conn, conn.state.userItemId);
    return this.turnDetection(conn)?.create_response !== false;
  }

  protected emitUserTranscript(conn: FakeConnection<OpenAIFakeState>, text: string): void {
    const item_id = conn.state.userItemId ?? this.itemId(conn);
    for (const delta of transcriptDeltas(text)) {
      this.send(conn, {
        type: 'conversation.item.input_audio_transcription.delta',
        event_id: this.eventId(conn),
        item_id,
        content_index: 0,
        delta,
      });
    }
    this.send(conn, {
      type: 'conversation.item.input_audio_transcription.completed',
      event_id: this.eventId(conn),
      item_id,
      content_index: 0,
      transcript: text,
      usage: { type: 'duration', seconds: 1 },
    });
  }

  protected beginResponse(conn: FakeConnection<OpenAIFakeState>): void {
    const st = conn.state;
    st.counter += 1;
    st.responseId = `resp_${conn.id}_${st.counter}`;
    st.messageItemId = undefined;
    st.transcript = '';
    this.send(conn, {
      type: 'response.created',
      event_id: this.eventId(conn),
      response: {
        id: st.responseId,
        object: 'realtime.response',
        status: 'in_progress',
        status_details: null,
        output: [],
      },
    });
  }

  protected emitReplyChunk(conn: FakeConnection<OpenAIFakeState>, chunk: ReplyChunk): void {
    const st = conn.state;
    const ids = () => ({
      response_id: st.responseId,
      item_id: st.messageItemId,
      output_index: 0,
      content_index: 0,
    });
    if (!st.messageItemId) {
      st.messageItemId = this.itemId(conn);
      const item = {
        id: st.messageItemId,
        object: 'realtime.item',
        type: 'message',
        role: 'assistant',
        status: 'in_progress',
        content: [],
      };
      this.send(conn, {
        type: 'response.output_item.added',
        event_id: this.eventId(conn),
        response_id: st.responseId,
        output_index: 0,
        item,
      });
      this.send(conn, {
        type: 'conversation.item.added',
        event_id: this.eventId(conn),
        previous_item_id: null,
        item,
      });
      this.send(conn, {
        type: 'response.content_part.added',
        event_id: this.eventId(conn),
        ...ids(),
        part: { type: 'audio', transcript: '' },
      });
    }
    st.transcript += chunk.text;
    st.audioMsByItem.set(
      st.messageItemId,
      (st.audioMsByItem.get(st.messageItemId) ?? 0) + (chunk.audio.length / this.outputRate(conn)) * 1000,
    );
    if (chunk.text)
      this.send(conn, {
        type: 'response.output_audio_transcript.delta',
        event_id: this.eventId(conn),
        ...ids(),
        delta: chunk.text,
      });
    this.send(conn, {
      type: 'response.output_audio.delta',
      event_id: this.eventId(conn),
      ...ids(),
      delta: pcm16ToBase64(chunk.audio),
    });
  }

  protected endResponse(conn: FakeConnection<OpenAIFakeState>, status: 'completed' | 'cancelled'): void {
    const st = conn.state;
    const output: unknown[] = [];
    if (st.messageItemId) {
      const ids = {
        response_id: st.responseId,
        item_id: st.messageItemId,
        output_index: 0,
        content_index: 0,
      };
      const item = {
        id: st.messageItemId,
        object: 'realtime.item',
        type: 'message',
        role: 'assistant',
        status: status === 'completed' ? 'completed' : 'incomplete',
        content: [{ type: 'output_audio', transcript: st.transcript }],
      };
      this.send(conn, {
        type: 'response.output_audio_transcript.done',
        event_id: this.eventId(conn),
        ...ids,
        transcript: st.transcript,
      });
      this.send(conn, { type: 'response.output_audio.done', event_id: this.eventId(conn), ...ids });
      this.send(conn, {
        type: 'response.content_part.done',
        event_id: this.eventId(conn),
        ...ids,
        part: { type: 'audio', transcript: st.transcript },
      });
      this.send(conn, {
        type: 'response.output_item.done',
        event_id: this.eventId(conn),
        response_id: st.responseId,
        output_index: 0,
        item,
      });
      this.send(conn, {
        type: 'conversation.item.done',
        event_id: this.eventId(conn),
        previous_item_id: null,
        item,
      });
      output.push(item);
    }
    const usage = { total_tokens: 30, input_tokens: 10, output_tokens: 20 };
    this.send(conn, {
      type: 'response.done',
      event_id: this.eventId(conn),
      response: {
        id: st.responseId,
        object: 'realtime.response',
        status,
        status_details:
          status === 'cancelled' ? { type: 'cancelled', reason: st.cancelReason ?? 'turn_detected' } : null,
        output,
        usage,
      },
      ...this.responseDoneExtras(),
    });
  }

  protected emitToolCall(
    conn: FakeConnection<OpenAIFakeState>,
    call: { callId: string; name: string; arguments: Record<string, unknown> },
  ): void {
    const st = conn.state;
    const args = JSON.stringify(call.arguments);
    const id = this.itemId(conn);
    const item = {
      id,
      object: 'realtime.item',
      type: 'function_call',
      status: 'in_progress',
      call_id: call.callId,
      name: call.name,
      arguments: '',
    };
    const ids = { response_id: st.responseId, item_id: id, output_index: 0, call_id: call.callId };
    this.send(conn, {
      type: 'response.output_item.added',
      event_id: this.eventId(conn),
      response_id: st.responseId,
      output_index: 0,
      item,
    });
    this.send(conn, {
      type: 'response.function_call_arguments.delta',
      event_id: this.eventId(conn),
      ...ids,
      delta: args,
    });
    this.send(conn, {
      type: 'response.function_call_arguments.done',
      event_id: this.eventId(conn),
      ...ids,
      name: call.name,
      arguments: args,
    });
    this.send(conn, {
      type: 'response.output_item.done',
      event_id: this.eventId(conn),
      response_id: st.responseId,
      output_index: 0,
      item: { ...item, status: 'completed', arguments: args },
    });
  }

  // ---- helpers ---------------------------------------------------------------------------

  private commitUserItem(conn: FakeConnection<OpenAIFakeState>, itemId = this.itemId(conn)): void {
    conn.state.userItemId = itemId;
    this.send(conn, {
      type: 'input_audio_buffer.committed',
      event_id: this.eventId(conn),
      previous_item_id: null,
      item_id: itemId,
    });
    const item = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    this.send(conn, {
      type: 'conversation.item.added',
      event_id: this.eventId(conn),
      previous_item_id: null,
      item,
    });
    this.send(conn, {
      type: 'conversation.item.done',
      event_id: this.eventId(conn),
      previous_item_id: null,
      item,
    });
  }

  protected eventId(conn: FakeConnection<OpenAIFakeState>): string {
    conn.state.counter += 1;
    return `event_${conn.id}_${conn.state.counter}`;
  }

  protected itemId(conn: FakeConnection<OpenAIFakeState>): string {
    conn.state.counter += 1;
    return `item_${conn.id}_${conn.state.counter}`;
  }
}

/** session.update semantics: omitted fields stay, nested audio settings merge. */
export function mergeSession(current: Record<string, any>, update: Record<string, any>): Record<string, any> {
  const audio = update.audio
    ? {
        input: { ...current.audio?.input, ...update.audio.input },
        output: { ...current.audio?.output, ...update.audio.output },
      }
    : current.audio;
  return { ...current, ...update, audio };
}
