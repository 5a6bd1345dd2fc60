import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { errorMessage, ValidationError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { authenticateUpgrade, refuseUpgrade } from '../core/ws-upgrade.js';
import { VoiceBackend } from '../voice/backends/voice-backend.js';
import type { VoiceAuthenticate } from '../voice/backends/websocket-voice-backend.js';
import { type VoiceAuthResult, VoiceConnection } from '../voice/backends/websocket-voice-connection.js';
import type { InboundHandlers } from '../voice/backends/websocket-voice-inbound.js';
import { sendOutboundAudio } from '../voice/backends/websocket-voice-outbound.js';
import { CLIENT_SAMPLE_RATES } from '../voice/backends/websocket-voice-protocol.js';
import { VoiceSocketServer } from '../voice/backends/websocket-voice-server.js';
import type { AudioChunk, VoiceSession } from '../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../voice/types.js';

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
export class WebSocketRealtimeTransport extends VoiceBackend {
  readonly name = 'websocket-realtime';
  override readonly capabilities: VoiceCapability = VoiceCapability.INTERRUPTION;
  readonly path: string;
  readonly audioFormat: RealtimeAudioFormat;
  private readonly bySession = new Map<string, RealtimeClientConnection>();
  private readonly server: VoiceSocketServer;
  private readonly logger: Logger;
  private readonly maxFrameBytes: number;
  private readonly rate: number;

  constructor(private readonly options: WebSocketRealtimeTransportOptions) {
    super();
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
    this.rate = options.sampleRate ?? 16000;
    if (!(CLIENT_SAMPLE_RATES as readonly number[]).includes(this.rate)) {
      throw new ValidationError(
        `sampleRate must be one of ${CLIENT_SAMPLE_RATES.join(', ')}`,
        undefined,
        'sampleRate',
      );
    }
    this.audioFormat = format;
    this.path = options.path ?? '/realtime';
    this.logger = options.logger ?? createLogger('roomkit.realtime.websocket');
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.server = new VoiceSocketServer({
      path: this.path,
      host: options.host,
      heartbeatMs: options.heartbeatMs,
      maxFrameBytes: this.maxFrameBytes,
      logger: this.logger,
      name: this.name,
      onUpgrade: (req, socket, head, url) => void this.upgrade(req, socket, head, url),
    });
    if (typeof options.server === 'number') void this.listen(options.server, options.host);
    else if (options.server) this.attach(options.server);
  }

  /** Start a standalone HTTP server; resolves with the bound port (idempotent). */
  listen(port = 0, host?: string): Promise<number> {
    return this.server.listen(port, host);
  }

  /** Handle upgrades on `path` of an existing HTTP server. */
  attach(server: Server): void {
    this.server.attach(server);
  }

  /** Take one upgrade request (for servers that route upgrades themselves). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url?: URL): void {
    this.server.handleUpgrade(req, socket, head, url);
  }

  override sampleRateFor(session: VoiceSession): number {
    return this.bySession.get(session.id)?.sampleRate ?? this.rate;
  }

  /** Bind a `ws` WebSocket the app accepted itself (`startSession(..., { connection })`). */
  override async accept(session: VoiceSession, connection: unknown): Promise<void> {
    if (!(connection instanceof WebSocket)) {
      throw new ValidationError('WebSocketRealtimeTransport.accept needs a ws WebSocket as the connection');
    }
    if (connection.readyState !== WebSocket.OPEN) throw new ValidationError('the WebSocket is not open');
    this.sessions.set(session.id, session);
    this.bind(this.wrap(connection, { userId: session.participantId, roomId: session.roomId }), session);
  }

  async disconnect(session: VoiceSession): Promise<void> {
    const conn = this.bySession.get(session.id);
    this.bySession.delete(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
    if (!conn) return;
    conn.closedByServer = true;
    this.trace(session, 'outbound', 'close');
    conn.socket.close(1000, 'session ended');
  }

  async sendAudio(
    session: VoiceSession,
    audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
  ): Promise<void> {
    await sendOutboundAudio(this.bySession.get(session.id), audio);
  }

  /** Barge-in: the client drops what it buffered (`clear_audio`). */
  interrupt(session: VoiceSession): void {
    this.bySession.get(session.id)?.clearPlayback();
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.bySession.get(session.id)?.isPlaying ?? false;
  }

  override setInputMuted(session: VoiceSession, muted: boolean): void {
    const conn = this.bySession.get(session.id);
    if (conn) conn.inputMuted = muted;
  }

  override endOfResponse(session: VoiceSession): void {
    this.bySession.get(session.id)?.stopSpeaking();
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

  override async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
    await this.server.close();
  }

  // ---- connections ----------------------------------------------------------------------

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
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
      this.bind(conn, session);
    });
  }

  private wrap(ws: WebSocket, auth: VoiceAuthResult): RealtimeClientConnection {
    const conn = new RealtimeClientConnection(ws, auth, this.options.maxBufferedBytes ?? 1024 * 1024, (c) => {
      this.logger.warn(
        { transport: this.name, sessionId: c.session?.id, buffered: c.socket.bufferedAmount },
        'realtime client not reading (send buffer full); disconnecting',
      );
      c.socket.terminate(); // it is not reading, so a close handshake would never finish
    });
    conn.sampleRate = this.rate;
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
    this.server.wire(conn, limits, handlers, () => this.dropped(conn));
    return conn;
  }

  /** The connection carries the session from now on; the channel hears it is live. */
  private bind(conn: RealtimeClientConnection, session: VoiceSession): void {
    conn.session = session;
    this.bySession.set(session.id, conn);
    this.trace(session, 'inbound', 'client connected');
    this.emitSessionReady(session);
  }

  /** The socket closed: a client drop unless the server ended the session itself. */
  private dropped(conn: RealtimeClientConnection): void {
    const session = conn.session;
    if (!session || this.bySession.get(session.id) !== conn) return;
    this.bySession.delete(session.id);
    if (conn.closedByServer) return;
    this.trace(session, 'inbound', 'client disconnected');
    this.emitClientDisconnected(session);
    this.forgetSession(session);
  }

  private trace(session: VoiceSession, direction: 'inbound' | 'outbound', summary: string): void {
    this.emitTrace({
      protocol: 'websocket',
      direction,
      summary,
      sessionId: session.id,
      roomId: session.roomId,
    });
  }
}
