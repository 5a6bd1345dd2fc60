import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { errorMessage, ValidationError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { authenticateUpgrade, refuseUpgrade } from '../core/ws-upgrade.js';
import type { VoiceAuthenticate } from '../voice/backends/websocket-voice-backend.js';
import { type VoiceAuthResult, VoiceConnection } from '../voice/backends/websocket-voice-connection.js';
import type { InboundHandlers } from '../voice/backends/websocket-voice-inbound.js';
import { CLIENT_SAMPLE_RATES } from '../voice/backends/websocket-voice-protocol.js';
import { SocketVoiceBackend } from '../voice/backends/websocket-voice-base.js';
import type { VoiceSession } from '../voice/types.js';

/** How audio travels on the socket: base64 in JSON `audio` messages, or raw binary frames. */
export type RealtimeAudioFormat = 'base64_json' | 'binary';

export interface WebSocketRealtimeTransportOptions {
  /**
   * Who may connect (token from `Authorization: Bearer` or `?token=`); null refuses with 401.
   * The result names the participant (`userId`) and the room (`roomId`, else the client's
   * `?roomId=` within `rooms`). Required: an open socket to a paid model is never the default.
   */
  authenticate: VoiceAuthenticate;
  /** Default 'base64_json' (the seed's default). */
  audioFormat?: RealtimeAudioFormat;
  /** An HTTP server to attach to, or a port to listen on (127.0.0.1 unless `host`). Else call listen(). */
  server?: Server | number;
  host?: string;
  /** Upgrade path (default '/realtime'). */
  path?: string;
  /** Rate of the PCM the client sends and receives (default 16000). */
  sampleRate?: number;
  /** channelId of the sessions it announces (default 'voice'). */
  channelId?: string;
  /** Ping interval; a client that missed the previous pong is dropped (default 15 s). */
  heartbeatMs?: number;
  /** Largest audio payload per inbound frame, in bytes (default 64 KiB). */
  maxFrameBytes?: number;
  /** Unsent bytes a client may hold before it is disconnected as too slow (default 1 MiB). */
  maxBufferedBytes?: number;
  logger?: Logger;
}

/**
 * A connection of the seed protocol: every `speaking` message says who speaks. The audio the
 * connection itself announces (its first outbound frame, a clear, a response end) is the
 * assistant's.
 */
class RealtimeClientConnection extends VoiceConnection {
  override sendJson(message: Record<string, unknown>): boolean {
    if (message.type === 'speaking' && message.who === undefined) {
      return super.sendJson({ ...message, who: 'assistant' });
    }
    return super.sendJson(message);
  }
}

/**
 * The seed's WebSocketRealtimeTransport: a client streams its microphone to a
 * RealtimeVoiceChannel over one WebSocket and hears the model on the same socket. The
 * session begins when the socket opens (no start message); the channel adopts it on its own.
 *
 * Client -> server: `{"type":"audio","data":"<base64 PCM>"}` (or binary PCM frames with
 * `audioFormat: 'binary'`), PCM s16le mono at `sampleRate`.
 * Server -> client: `{"type":"audio","data":"<base64>"}` (or binary frames),
 * `{"type":"transcription","text","role","is_final"}`, `{"type":"speaking","speaking","who"}`,
 * `{"type":"clear_audio"}` (barge-in: drop buffered playback). Bad input is answered with
 * `{"type":"error","code","message"}` and never closes the socket.
 *
 * A socket the app accepted itself can be handed over instead:
 * `channel.startSession(roomId, participantId, { connection: socket })`.
 */
export class WebSocketRealtimeTransport extends SocketVoiceBackend<RealtimeClientConnection> {
  readonly audioFormat: RealtimeAudioFormat;

  constructor(private readonly options: WebSocketRealtimeTransportOptions) {
    super({
      name: 'websocket-realtime',
      path: options?.path ?? '/realtime',
      host: options?.host,
      heartbeatMs: options?.heartbeatMs,
      maxFrameBytes: options?.maxFrameBytes,
      maxBufferedBytes: options?.maxBufferedBytes,
      sampleRate: options?.sampleRate,
      logger: options?.logger ?? createLogger('roomkit.realtime.websocket'),
    });
    if (typeof options?.authenticate !== 'function') {
      throw new ValidationError(
        'WebSocketRealtimeTransport needs an authenticate function',
        undefined,
        'authenticate',
      );
    }
    const format = options.audioFormat ?? 'base64_json';
    if (format !== 'base64_json' && format !== 'binary') {
      throw new ValidationError(
        `audioFormat must be 'base64_json' or 'binary', got ${String(format)}`,
        undefined,
        'audioFormat',
      );
    }
    if (!(CLIENT_SAMPLE_RATES as readonly number[]).includes(options.sampleRate ?? 16000)) {
      throw new ValidationError(
        `sampleRate must be one of ${CLIENT_SAMPLE_RATES.join(', ')}`,
        undefined,
        'sampleRate',
      );
    }
    this.audioFormat = format;
    if (typeof options.server === 'number') void this.listen(options.server, options.host);
    else if (options.server) this.attach(options.server);
  }

  /** Bind a `ws` WebSocket the app accepted itself (`startSession(..., { connection })`). */
  override async accept(session: VoiceSession, connection: unknown): Promise<void> {
    if (!(connection instanceof WebSocket)) {
      throw new ValidationError('WebSocketRealtimeTransport.accept needs a ws WebSocket as the connection');
    }
    if (connection.readyState !== WebSocket.OPEN) throw new ValidationError('the WebSocket is not open');
    this.sessions.set(session.id, session);
    this.start(this.wrap(connection, { userId: session.participantId, roomId: session.roomId }), session);
  }

  override async sendTranscription(
    session: VoiceSession,
    text: string,
    role: 'user' | 'assistant' = 'user',
    isFinal = true,
  ): Promise<void> {
    this.bySession.get(session.id)?.sendJson({ type: 'transcription', text, role, is_final: isFinal });
  }

  override sendSpeaking(session: VoiceSession, speaking: boolean, who: 'user' | 'assistant'): void {
    this.bySession.get(session.id)?.sendJson({ type: 'speaking', speaking, who });
  }

  // ---- connections ----------------------------------------------------------------------

  protected async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const auth = await authenticateUpgrade(req, url, this.options.authenticate, (error) =>
      this.logger.warn({ transport: this.name, err: errorMessage(error) }, 'realtime authenticate threw'),
    );
    if (!auth) return refuseUpgrade(socket);
    const roomId = auth.roomId ?? url.searchParams.get('roomId') ?? undefined;
    const scope = auth.rooms ?? '*';
    if (!roomId) return refuseUpgrade(socket, 400);
    if (scope !== '*' && !scope.includes(roomId)) return refuseUpgrade(socket, 403);
    this.server.accept(req, socket, head, (ws) => {
      const conn = this.wrap(ws, auth);
      const session = this.newSession(roomId, auth.userId, this.options.channelId ?? 'voice', {
        ...auth.metadata,
      });
      this.sessions.set(session.id, session);
      this.start(conn, session);
    });
  }

  private wrap(ws: WebSocket, auth: VoiceAuthResult): RealtimeClientConnection {
    const conn = new RealtimeClientConnection(ws, auth, this.maxBufferedBytes, this.onOverflow);
    conn.sampleRate = this.options.sampleRate ?? 16000;
    conn.framing = this.audioFormat === 'binary' ? 'binary' : 'json';
    const limits = { maxFrameBytes: this.maxFrameBytes, framing: conn.framing };
    const handlers: InboundHandlers = {
      start: (c) =>
        c.error('already_started', 'no start message here: the session began when the socket opened'),
      stop: (c) => c.socket.close(1000, 'stopped'),
      audio: (c, frame) => {
        if (c.session) this.emitAudio(c.session, frame);
      },
    };
    this.track(conn, limits, handlers);
    return conn;
  }

  /** The session begins when the socket opens: the channel hears it is live. */
  private start(conn: RealtimeClientConnection, session: VoiceSession): void {
    this.bindConnection(conn, session);
    this.emitSessionReady(session);
  }
}
