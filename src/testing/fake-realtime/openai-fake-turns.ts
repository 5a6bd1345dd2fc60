import { pcm16ToBase64 } from '../../realtime/pcm.js';
import { type FakeRealtimeConnection, FakeRealtimeServer } from './fake-server-base.js';
import { type ReplyChunk, transcriptDeltas } from './script.js';

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
  cancelReason?: string;
  counter: number;
  /** The conversation, in order: what `conversation.item.retrieve` reads and `delete` removes. */
  items: Map<string, Record<string, any>>;
  /** Audio appended since the last commit (a commit of nothing is an error). */
  bufferedMs: number;
  /** The function_call items of the response in progress (they belong in its `output`). */
  responseCalls: Record<string, any>[];
}

type Conn = FakeRealtimeConnection<OpenAIFakeState>;

/**
 * The OpenAI GA turn, rendered: VAD events, the committed user item, input transcription
 * deltas, the response sequence (items, content parts, audio and transcript deltas, function
 * calls, `response.done`). Shared by the OpenAI and xAI fakes.
 */
export abstract class OpenAIFakeTurns extends FakeRealtimeServer<OpenAIFakeState> {
  /** The effective turn detection (null: manual turns). */
  protected abstract turnDetection(conn: Conn): Record<string, any> | null;

  /** Reply audio as the session's output format carries it (base64 PCM16 unless overridden). */
  protected encodeAudio(_conn: Conn, pcm: Int16Array): string {
    return pcm16ToBase64(pcm);
  }

  /** Extra top-level fields of response.done (xAI adds `usage`). */
  protected responseDoneExtras(): Record<string, unknown> {
    return {};
  }

  /** Whether user audio is transcribed (OpenAI: only when the session configures a model). */
  protected transcribesInput(conn: Conn): boolean {
    return conn.state.session.audio?.input?.transcription != null;
  }

  /** A non-fatal `error` event (the session stays open). */
  sendError(conn: Conn, error: { type?: string; code?: string; message: string }): void {
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

  protected onSpeechStarted(conn: Conn): void {
    conn.state.userItemId = this.itemId(conn);
    conn.state.cancelReason = 'turn_detected';
    this.send(conn, {
      type: 'input_audio_buffer.speech_started',
      event_id: this.eventId(conn),
      audio_start_ms: Math.round(conn.inputMs),
      item_id: conn.state.userItemId,
    });
  }

  protected onSpeechStopped(conn: Conn): boolean {
    this.send(conn, {
      type: 'input_audio_buffer.speech_stopped',
      event_id: this.eventId(conn),
      audio_end_ms: Math.round(conn.inputMs),
      item_id: conn.state.userItemId,
    });
    this.commitUserItem(conn, conn.state.userItemId);
    return this.turnDetection(conn)?.create_response !== false;
  }

  protected emitUserTranscript(conn: Conn, text: string): void {
    if (!this.transcribesInput(conn)) return;
    const item_id = conn.state.userItemId ?? this.itemId(conn);
    const item = conn.state.items.get(item_id);
    if (item?.content?.[0]) item.content[0] = { ...item.content[0], transcript: text };
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

  protected beginResponse(conn: Conn): void {
    const st = conn.state;
    st.counter += 1;
    st.responseId = `resp_${conn.id}_${st.counter}`;
    st.messageItemId = undefined;
    st.transcript = '';
    st.responseCalls = [];
    this.send(conn, {
      type: 'response.created',
      event_id: this.eventId(conn),
      response: { id: st.responseId, object: 'realtime.response', status: 'in_progress', output: [] },
    });
  }

  protected emitReplyChunk(conn: Conn, chunk: ReplyChunk): void {
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
      this.addItem(conn, item);
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
      delta: this.encodeAudio(conn, chunk.audio),
    });
  }

  protected endResponse(conn: Conn, status: 'completed' | 'cancelled'): void {
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
      this.itemDone(conn, item);
      output.push(item);
    }
    output.push(...st.responseCalls);
    const usage = { total_tokens: 30, input_tokens: 10, output_tokens: 20 };
    this.send(conn, {
      type: 'response.done',
      event_id: this.eventId(conn),
      response: {
        id: st.responseId,
        object: 'realtime.response',
        status,
        ...(status === 'cancelled'
          ? { status_details: { type: 'cancelled', reason: st.cancelReason ?? 'turn_detected' } }
          : {}),
        output,
        usage,
      },
      ...this.responseDoneExtras(),
    });
  }

  protected emitToolCall(
    conn: Conn,
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
    this.addItem(conn, item);
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
    const done = { ...item, status: 'completed', arguments: args };
    this.send(conn, {
      type: 'response.output_item.done',
      event_id: this.eventId(conn),
      response_id: st.responseId,
      output_index: 0,
      item: done,
    });
    this.itemDone(conn, done);
    st.responseCalls.push(done);
  }

  // ---- helpers ---------------------------------------------------------------------------

  protected commitUserItem(conn: Conn, itemId = this.itemId(conn)): void {
    conn.state.userItemId = itemId;
    conn.state.bufferedMs = 0;
    this.send(conn, {
      type: 'input_audio_buffer.committed',
      event_id: this.eventId(conn),
      previous_item_id: this.lastItemId(conn),
      item_id: itemId,
    });
    const item = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      // The transcript is filled in when (if) input transcription completes.
      content: [{ type: 'input_audio' }],
    };
    this.addItem(conn, item);
    this.itemDone(conn, item);
  }

  /** A new conversation item: `conversation.item.added`, placed after the last one. */
  protected addItem(conn: Conn, item: Record<string, any>): void {
    const previous_item_id = this.lastItemId(conn);
    conn.state.items.set(item.id, item);
    this.send(conn, {
      type: 'conversation.item.added',
      event_id: this.eventId(conn),
      previous_item_id,
      item,
    });
  }

  /** The item is complete: `conversation.item.done` with its final content. */
  protected itemDone(conn: Conn, item: Record<string, any>): void {
    const ids = [...conn.state.items.keys()];
    const at = ids.indexOf(item.id);
    conn.state.items.set(item.id, item);
    this.send(conn, {
      type: 'conversation.item.done',
      event_id: this.eventId(conn),
      previous_item_id: at > 0 ? ids[at - 1] : null,
      item,
    });
  }

  protected lastItemId(conn: Conn): string | null {
    let last: string | null = null;
    for (const id of conn.state.items.keys()) last = id;
    return last;
  }

  protected eventId(conn: Conn): string {
    conn.state.counter += 1;
    return `event_${conn.id}_${conn.state.counter}`;
  }

  protected itemId(conn: Conn): string {
    conn.state.counter += 1;
    return `item_${conn.id}_${conn.state.counter}`;
  }
}
