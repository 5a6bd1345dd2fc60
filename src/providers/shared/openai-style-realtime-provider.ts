import type { z } from 'zod';
import { AuthenticationError, ProviderError, type RoomKitError } from '../../core/errors.js';
import { BaseRealtimeProvider } from '../../realtime/base-provider.js';
import { pcmDurationMs } from '../../realtime/pcm.js';
import type { RealtimeInterruptOptions } from '../../realtime/provider.js';
import { AudioConverter } from '../../realtime/audio-converter.js';
import type { RealtimeReconfigureOptions, RealtimeSession } from '../../realtime/session.js';
import {
  envelopeSchema,
  isHandledOpenAIEvent,
  type OpenAIRealtimeErrorBody,
  type OpenAIRealtimeEvent as Ev,
  type OpenAIRealtimeEventType,
  openAIRealtimeEventSchemas,
} from './openai-realtime-events.js';
import { type CloseOutcome, closeOutcome } from './realtime-close.js';
import { RealtimeSocket, type SocketCloseInfo } from './realtime-socket.js';
import { validateMessage } from './validate-message.js';
import {
  decodeRealtimeAudio,
  encodeRealtimeAudio,
  type RealtimeWireEncoding,
} from './realtime-wire-audio.js';
import { OpenAIStyleConnection } from './openai-style-connection.js';

/** Codes that report a harmless race (cancel after the response ended), not a problem. */
const BENIGN_ERROR_CODES = new Set([
  'response_cancel_not_active',
  'conversation_already_has_active_response',
]);

/**
 * The OpenAI-family realtime client (OpenAI GA and xAI): connect, session.update, audio
 * both ways, transcripts, tool round trips, barge-in and errors. Vendors differ in the URL,
 * the greeting event, the session object, wire audio rates and truncation; subclasses
 * supply those.
 */
export abstract class OpenAIStyleRealtimeProvider extends BaseRealtimeProvider<OpenAIStyleConnection> {
  /** First server event of a connection ('session.created' for OpenAI). */
  protected abstract readonly readyEvent: 'session.created' | 'conversation.created';
  protected abstract socketTarget(session: RealtimeSession): { url: string; headers: Record<string, string> };
  /** The `session` object of `session.update` for the session's current config. */
  protected abstract buildSession(session: RealtimeSession): Record<string, unknown>;
  /** PCM rates on the wire for this session. */
  protected abstract wireRates(session: RealtimeSession): { input: number; output: number };
  protected connectTimeoutMs = 10_000;

  /** How audio is encoded on the wire (PCM16 unless the session asks for G.711). */
  protected wireEncoding(_session: RealtimeSession): RealtimeWireEncoding {
    return 'pcm16';
  }

  /** Whether the server cancels the response itself when the user starts speaking. */
  protected serverCancelsOnSpeech(_session: RealtimeSession): boolean {
    return true;
  }

  /** Hook for vendor timers and the like, once the session is configured. */
  protected onActive(_session: RealtimeSession, _conn: OpenAIStyleConnection): void {}
  /** Hook to claim vendor-specific close codes. */
  protected classifyClose(_info: SocketCloseInfo, _conn: OpenAIStyleConnection): CloseOutcome | undefined {
    return undefined;
  }

  protected async open(session: RealtimeSession): Promise<OpenAIStyleConnection> {
    const { url, headers } = this.socketTarget(session);
    const socket = await RealtimeSocket.open({
      provider: this.name,
      url,
      headers,
      logger: this.logger,
      connectTimeoutMs: this.connectTimeoutMs,
    });
    const rates = this.wireRates(session);
    const conn = new OpenAIStyleConnection(
      this.name,
      socket,
      await AudioConverter.create(session.config.inputSampleRate, rates.input),
      await AudioConverter.create(rates.output, session.config.outputSampleRate),
      rates.output,
    );
    // Wait before listening: buffered early messages are replayed as soon as a handler is set.
    const ready = conn.waitFor(this.readyEvent, this.connectTimeoutMs);
    socket.onMessage((raw) => this.handleMessage(session, conn, raw));
    socket.onClose((info) => this.handleClose(session, conn, info));
    try {
      await ready;
      socket.send({ type: 'session.update', session: this.buildSession(session) });
      await conn.waitFor('session.updated', this.connectTimeoutMs);
    } catch (err) {
      conn.release();
      throw err;
    }
    this.onActive(session, conn);
    return conn;
  }

  protected release(conn: OpenAIStyleConnection): void {
    conn.release();
  }

  sendAudio(session: RealtimeSession, pcm: Int16Array): void {
    const conn = this.stateOf(session);
    if (!conn) return;
    const wire = conn.input.convertTransient(pcm);
    if (wire.length === 0) return;
    conn.socket.send({
      type: 'input_audio_buffer.append',
      audio: encodeRealtimeAudio(wire, this.wireEncoding(session)),
    });
  }

  async sendText(session: RealtimeSession, text: string): Promise<void> {
    const conn = this.requireState(session);
    conn.socket.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.requestResponse(conn);
  }

  async commitAudio(session: RealtimeSession): Promise<void> {
    const conn = this.requireState(session);
    conn.socket.send({ type: 'input_audio_buffer.commit' });
    this.requestResponse(conn);
  }

  async submitToolResult(session: RealtimeSession, callId: string, result: string): Promise<void> {
    const conn = this.requireState(session);
    conn.socket.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output: result },
    });
    conn.pendingCalls.delete(callId);
    // One response.create once every call of the response has its output, never two at once.
    if (conn.pendingCalls.size === 0) this.requestResponse(conn);
  }

  async interrupt(session: RealtimeSession, opts: RealtimeInterruptOptions = {}): Promise<void> {
    const conn = this.stateOf(session);
    if (!conn) return;
    if (conn.responseActive && !conn.cancelRequested) {
      conn.cancelRequested = true;
      conn.socket.send({ type: 'response.cancel' });
    }
    const itemId = opts.itemId ?? conn.lastAudioItemId;
    if (!itemId) return;
    conn.droppedItems.add(itemId);
    if (!this.capabilities.truncation || opts.playedMs === undefined) return;
    // The server rejects an end past the audio it produced; clamp to what we received.
    const received = Math.floor(conn.audioMsByItem.get(itemId) ?? 0);
    const audioEndMs = Math.max(0, Math.min(Math.round(opts.playedMs), received));
    if (audioEndMs >= received) return; // everything was heard: nothing to forget
    conn.socket.send({
      type: 'conversation.item.truncate',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: audioEndMs,
    });
  }

  async reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void> {
    const conn = this.requireState(session);
    session.config = {
      ...session.config,
      ...opts,
      providerConfig: { ...session.config.providerConfig, ...opts.providerConfig },
    };
    conn.socket.send({ type: 'session.update', session: this.buildSession(session) });
    await conn.waitFor('session.updated', this.connectTimeoutMs);
  }

  private requestResponse(conn: OpenAIStyleConnection): void {
    if (conn.responseActive) conn.continueAfterResponse = true;
    else conn.socket.send({ type: 'response.create' });
  }

  private handleMessage(session: RealtimeSession, conn: OpenAIStyleConnection, raw: unknown): void {
    const envelope = envelopeSchema.safeParse(raw);
    if (!envelope.success) {
      this.logger.warn({ provider: this.name }, 'realtime message without a type ignored');
      return;
    }
    const type = envelope.data.type;
    if (!isHandledOpenAIEvent(type)) {
      this.logger.debug({ provider: this.name, type }, 'realtime event ignored');
      return;
    }
    const schema: z.ZodType<unknown> = openAIRealtimeEventSchemas[type];
    const message = validateMessage(schema, raw, {
      provider: this.name,
      logger: this.logger,
      what: type,
    });
    if (message === undefined) return;
    const handler = this.handlers[type] as (s: RealtimeSession, c: OpenAIStyleConnection, m: unknown) => void;
    handler(session, conn, message);
    conn.resolveWaiters(type);
  }

  private readonly handlers: {
    [T in OpenAIRealtimeEventType]: (
      session: RealtimeSession,
      conn: OpenAIStyleConnection,
      msg: Ev<T>,
    ) => void;
  } = {
    'session.created': (session, _c, msg) => {
      session.providerSessionId ??= msg.session.id;
    },
    'conversation.created': (session, _c, msg) => {
      session.providerSessionId ??= msg.conversation.id;
    },
    'session.updated': () => {},
    error: (session, conn, msg) => this.handleError(session, conn, msg.error),
    'input_audio_buffer.speech_started': (session, conn) => {
      this.emit('speechStart', { session });
      if (conn.responseActive && this.serverCancelsOnSpeech(session)) conn.cancelRequested = true;
      if (!conn.audioSinceSpeech || !conn.lastAudioItemId) return;
      // Audio was produced since the user last spoke: it may still be playing. Late deltas of
      // that item are dropped, and the transport is told to stop what it queued.
      conn.audioSinceSpeech = false;
      conn.droppedItems.add(conn.lastAudioItemId);
      this.emit('interrupted', {
        session,
        itemId: conn.lastAudioItemId,
        clearPlayback: true,
        reportPlayedPosition: this.capabilities.truncation,
      });
    },
    'input_audio_buffer.speech_stopped': (session) => this.emit('speechEnd', { session }),
    'conversation.item.input_audio_transcription.delta': (session, conn, msg) => {
      const text = conn.appendTranscript('user', msg.item_id, msg.delta);
      this.emit('transcription', { session, role: 'user', text, isFinal: false, itemId: msg.item_id });
    },
    'conversation.item.input_audio_transcription.completed': (session, conn, msg) => {
      conn.finishTranscript('user', msg.item_id);
      this.emit('transcription', {
        session,
        role: 'user',
        text: msg.transcript,
        isFinal: true,
        itemId: msg.item_id,
      });
    },
    'conversation.item.input_audio_transcription.failed': (session, _c, msg) => {
      const error = new ProviderError(
        this.name,
        `input transcription failed: ${msg.error.message ?? 'unknown'}`,
        {
          code: 'transcription_failed',
        },
      );
      this.emit('error', { session, error, fatal: false });
    },
    'response.created': (session, conn, msg) => {
      conn.responseActive = true;
      conn.cancelRequested = false;
      this.emit('responseStart', { session, responseId: msg.response.id });
    },
    'response.output_audio.delta': (session, conn, msg) => {
      if (conn.droppedItems.has(msg.item_id)) return;
      const pcm = decodeRealtimeAudio(msg.delta, this.wireEncoding(session));
      conn.audioMsByItem.set(
        msg.item_id,
        (conn.audioMsByItem.get(msg.item_id) ?? 0) + pcmDurationMs(pcm.length, conn.wireOutputRate),
      );
      conn.lastAudioItemId = msg.item_id;
      conn.audioSinceSpeech = true;
      const audio = conn.output.convert(pcm);
      this.emit('audio', {
        session,
        audio,
        sampleRate: session.config.outputSampleRate,
        itemId: msg.item_id,
      });
    },
    'response.output_audio_transcript.delta': (session, conn, msg) => {
      const text = conn.appendTranscript('assistant', msg.item_id, msg.delta);
      this.emit('transcription', { session, role: 'assistant', text, isFinal: false, itemId: msg.item_id });
    },
    'response.output_audio_transcript.done': (session, conn, msg) => {
      const soFar = conn.finishTranscript('assistant', msg.item_id);
      const text = msg.transcript ?? soFar;
      this.emit('transcription', { session, role: 'assistant', text, isFinal: true, itemId: msg.item_id });
    },
    'response.function_call_arguments.done': (session, conn, msg) => {
      if (conn.seenCalls.has(msg.call_id)) return; // xAI may repeat a function call item
      conn.seenCalls.add(msg.call_id);
      conn.pendingCalls.add(msg.call_id);
      this.emit('toolCall', {
        session,
        callId: msg.call_id,
        name: msg.name,
        arguments: parseArguments(msg.arguments, (err) =>
          this.logger.warn({ err, provider: this.name, tool: msg.name }, 'tool arguments are not JSON'),
        ),
      });
    },
    'response.done': (session, conn, msg) => {
      conn.responseActive = false;
      const { status } = msg.response;
      if (status === 'failed') {
        const detail = msg.response.status_details?.error?.message ?? 'response failed';
        this.emit('error', {
          session,
          error: new ProviderError(this.name, detail, {
            code: msg.response.status_details?.error?.code ?? 'response_failed',
          }),
          fatal: false,
        });
      }
      this.emit('responseEnd', {
        session,
        responseId: msg.response.id,
        status: status === 'in_progress' ? 'incomplete' : status,
      });
      if (conn.continueAfterResponse && conn.pendingCalls.size === 0) {
        conn.continueAfterResponse = false;
        conn.socket.send({ type: 'response.create' });
      }
    },
    'conversation.item.truncated': (_s, _c, msg) => {
      this.logger.debug({ provider: this.name, item: msg.item_id, ms: msg.audio_end_ms }, 'item truncated');
    },
  };

  private handleError(
    session: RealtimeSession,
    conn: OpenAIStyleConnection,
    body: OpenAIRealtimeErrorBody,
  ): void {
    const code = body.code ?? body.type ?? 'provider_error';
    const message = body.message ?? code;
    if (BENIGN_ERROR_CODES.has(code)) {
      this.logger.debug({ provider: this.name, code }, message);
      return;
    }
    let error: RoomKitError;
    if (code === 'invalid_api_key') error = new AuthenticationError(this.name, message);
    else {
      error = new ProviderError(this.name, message, {
        code,
        retryable: body.type === 'server_error' || code === 'session_expired',
      });
    }
    if (code === 'session_expired') {
      // The server closes next (1001); the session ends there, with this error.
      conn.expiry = error;
      return;
    }
    if (conn.rejectWaiters(error)) return; // failed during connect/reconfigure: the caller gets it
    this.emit('error', { session, error, fatal: false });
  }

  private handleClose(session: RealtimeSession, conn: OpenAIStyleConnection, info: SocketCloseInfo): void {
    if (info.byClient) {
      conn.release();
      return;
    }
    const outcome: CloseOutcome = conn.expiry
      ? { reason: 'session-limit', error: conn.expiry }
      : closeOutcome(this.name, info, (i) => this.classifyClose(i, conn));
    const failedSetup = conn.rejectWaiters(
      outcome.error ??
        new ProviderError(this.name, `closed during setup (${info.code})`, { code: 'closed_by_server' }),
    );
    conn.release();
    if (!failedSetup) this.endSession(session, outcome.reason, outcome.error);
  }
}

function parseArguments(json: string, onError: (err: unknown) => void): Record<string, unknown> {
  if (json.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch (err) {
    onError(err);
    return {};
  }
}
