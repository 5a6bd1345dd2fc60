import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { errorMessage } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { AudioFrame, VoiceSession } from '../types.js';
import { VoiceSessionState } from '../types.js';
import { type VoiceAuthResult, VoiceConnection } from './websocket-voice-connection.js';
import {
  CLIENT_SAMPLE_RATES,
  type StartMessage,
  type VoiceErrorCode,
  type VoiceFraming,
} from './websocket-voice-protocol.js';
import { SocketVoiceBackend } from './websocket-voice-base.js';
import { authenticateUpgrade, refuseUpgrade } from '../../core/ws-upgrade.js';
import type { VoiceAdmission } from '../admission.js';

export type VoiceAuthenticate = (
  request: IncomingMessage,
  token: string | undefined,
) => Promise<VoiceAuthResult | null | undefined> | VoiceAuthResult | null | undefined;

/** What `authorizeSession` decides on: who starts a session in which room. */
export interface VoiceSessionRequest {
  auth: VoiceAuthResult;
  roomId: string;
  /** Set when the client binds to a session the server created with connect(). */
  sessionId?: string;
}

/** A refusal `authorizeSession` returns; the client gets it as an error frame. */
export interface VoiceRefusal {
  code: Extract<VoiceErrorCode, 'room_not_found' | 'forbidden'>;
  message: string;
}

export interface WebSocketVoiceBackendOptions {
  /** Who may connect (token from `Authorization: Bearer` or `?token=`); null refuses with 401. */
  authenticate: VoiceAuthenticate;
  /** An HTTP server to attach to, or a port to listen on (127.0.0.1 unless `host`). Else call listen(). */
  server?: Server | number;
  host?: string;
  /** Upgrade path (default '/voice'). */
  path?: string;
  /** Only this framing is accepted (default: either, chosen per connection by `start.framing`). */
  framing?: VoiceFraming;
  /** Rate assumed when `start` gives none (default 16000). */
  sampleRate?: number;
  /** channelId of the sessions this backend creates (default 'voice'). */
  channelId?: string;
  /** Ping interval; a client that missed the previous pong is dropped (default 15 s). */
  heartbeatMs?: number;
  /** Largest audio payload per inbound frame, in bytes (default 64 KiB). */
  maxFrameBytes?: number;
  /** Unsent bytes a client may hold, the frame being sent included, before it is disconnected as too slow (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * Decides each `start` after the token's room scope allowed it: return true, or a refusal
   * (`room_not_found`, `forbidden`) that the client receives as a typed error frame instead
   * of `ready`. Use it to refuse rooms that do not exist. A callback that throws refuses.
   */
  authorizeSession?: (request: VoiceSessionRequest) => true | VoiceRefusal | Promise<true | VoiceRefusal>;
  /**
   * The server's limits (calls at once, event-loop load): an authenticated caller past them
   * is refused at the upgrade with HTTP 503, `Retry-After` and a JSON `{error: {code,
   * message}}` (`at_capacity`, `overloaded`). This backend's sockets count as its calls.
   */
  admission?: VoiceAdmission;
  logger?: Logger;
}

/**
 * Voice over WebSocket: browsers and SDKs stream PCM s16le mono in and out. A client opens
 * the socket, sends `start`, gets `ready`, then both sides stream audio (protocol in
 * websocket-voice-protocol.ts). New connections surface through `onSessionReady`, whose
 * session carries roomId/participantId from authenticate/start: that is how a VoiceChannel
 * learns about calls. Outbound audio is sent as given; pace it (OutboundPacer) upstream.
 */
export class WebSocketVoiceBackend extends SocketVoiceBackend {
  private readonly stopCounting: (() => void) | undefined;

  constructor(private readonly options: WebSocketVoiceBackendOptions) {
    super({
      name: 'websocket',
      path: options.path ?? '/voice',
      host: options.host,
      heartbeatMs: options.heartbeatMs,
      maxFrameBytes: options.maxFrameBytes,
      maxBufferedBytes: options.maxBufferedBytes,
      sampleRate: options.sampleRate,
      logger: options.logger ?? createLogger('roomkit.voice.websocket'),
    });
    if (typeof options.server === 'number') void this.listen(options.server, options.host);
    else if (options.server) this.attach(options.server);
    this.stopCounting = options.admission?.countCalls(() => this.server.connections.size);
  }

  override async close(): Promise<void> {
    this.stopCounting?.();
    await super.close();
  }

  /**
   * Create a session the client binds to later by sending `start` with this `sessionId`
   * (a call the framework initiates). onSessionReady fires when the client arrives.
   */
  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: { metadata?: Record<string, unknown> } = {},
  ): Promise<VoiceSession> {
    return super.connect(roomId, participantId, channelId, opts);
  }

  override async sendTranscription(
    session: VoiceSession,
    text: string,
    role: 'user' | 'assistant' = 'user',
    final = true,
  ): Promise<void> {
    this.bySession.get(session.id)?.sendJson({ type: 'transcription', text, role, final });
  }

  // ---- connection lifecycle -----------------------------------------------------------

  protected async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const auth = await authenticateUpgrade(req, url, this.options.authenticate, (error) =>
      this.logger.warn({ backend: this.name, err: errorMessage(error) }, 'voice authenticate threw'),
    );
    if (!auth) return refuseUpgrade(socket);
    // Checked once the caller is known: a stranger learns nothing of the server's load.
    const refusal = this.options.admission?.refusal(this.name);
    if (refusal) return refuseUpgrade(socket, 503, refusal);
    this.server.accept(req, socket, head, (ws) => this.acceptSocket(ws, auth, socket));
  }

  /**
   * @internal Complete an upgrade another process already authenticated: `roomkit serve`'s
   * main process hands voice sockets to its voice workers with the client's identity.
   */
  adoptUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, auth: VoiceAuthResult): void {
    this.server.accept(req, socket, head, (ws) => this.acceptSocket(ws, auth, socket));
  }

  private acceptSocket(ws: WebSocket, auth: VoiceAuthResult, raw: Duplex): void {
    const conn = new VoiceConnection(ws, auth, this.maxBufferedBytes, this.onOverflow, raw);
    const limits = { maxFrameBytes: this.maxFrameBytes, framing: this.options.framing };
    const handlers = {
      start: (c: VoiceConnection, msg: StartMessage) => this.start(c, msg),
      stop: (c: VoiceConnection) => this.stop(c),
      audio: (c: VoiceConnection, frame: AudioFrame) => {
        if (c.session) this.emitAudio(c.session, frame);
      },
    };
    this.track(conn, limits, handlers);
  }

  private async start(conn: VoiceConnection, msg: StartMessage): Promise<void> {
    if (conn.session || conn.starting)
      return conn.error('already_started', 'this connection already has a session');
    conn.starting = true;
    try {
      const refused = (await this.authorize(conn, msg)) ?? this.bindSession(conn, msg);
      if (refused) conn.error(refused[0], refused[1]);
    } finally {
      conn.starting = false;
    }
  }

  /** The token's room scope, then the app's `authorizeSession`; returns why not. */
  private async authorize(
    conn: VoiceConnection,
    msg: StartMessage,
  ): Promise<[VoiceErrorCode, string] | undefined> {
    const roomId = msg.sessionId
      ? this.sessions.get(msg.sessionId)?.roomId
      : (msg.roomId ?? conn.auth.roomId);
    if (!roomId) return undefined; // bindSession names what is missing
    const scope = conn.auth.rooms ?? '*';
    if (scope !== '*' && !scope.includes(roomId)) return ['forbidden', `not allowed in room ${roomId}`];
    const decide = this.options.authorizeSession;
    if (!decide) return undefined;
    try {
      const decision = await decide({ auth: conn.auth, roomId, sessionId: msg.sessionId });
      if (decision === true) return undefined;
      return [decision.code, decision.message];
    } catch (error) {
      this.logger.warn(
        { backend: this.name, err: errorMessage(error) },
        'voice authorizeSession threw; refusing',
      );
      return ['forbidden', `not allowed in room ${roomId}`];
    }
  }

  /** Validates `start` and binds the connection to a new or pending session; returns why not. */
  private bindSession(conn: VoiceConnection, msg: StartMessage): [VoiceErrorCode, string] | undefined {
    if (conn.session) return ['already_started', 'this connection already has a session'];
    if (!conn.open) return ['internal', 'connection closed'];
    const rate = msg.sampleRate ?? this.options.sampleRate ?? 16000;
    if (!(CLIENT_SAMPLE_RATES as readonly number[]).includes(rate)) {
      return ['unsupported_sample_rate', `sample rate ${rate} (use ${CLIENT_SAMPLE_RATES.join(', ')})`];
    }
    const framing = msg.framing ?? this.options.framing ?? 'binary';
    if (this.options.framing && framing !== this.options.framing) {
      return ['unsupported_framing', `this server only speaks ${this.options.framing} framing`];
    }
    const { auth } = conn;
    if (auth.roomId && msg.roomId && auth.roomId !== msg.roomId) {
      return ['forbidden', `not allowed in room ${msg.roomId}`];
    }
    let session: VoiceSession;
    if (msg.sessionId) {
      const pending = this.sessions.get(msg.sessionId);
      if (!pending || pending.state !== VoiceSessionState.CONNECTING || this.bySession.has(pending.id)) {
        return ['session_not_found', `no session waiting with id ${msg.sessionId}`];
      }
      const roomOk =
        (!msg.roomId || msg.roomId === pending.roomId) && (!auth.roomId || auth.roomId === pending.roomId);
      if (pending.participantId !== auth.userId || !roomOk) {
        return ['forbidden', 'that session belongs to someone else'];
      }
      session = pending;
    } else {
      const roomId = msg.roomId ?? auth.roomId;
      if (!roomId) return ['missing_room', 'start needs a roomId'];
      // Authenticated metadata wins over what the client claims about itself.
      const metadata = { ...msg.metadata, ...auth.metadata };
      session = this.newSession(roomId, auth.userId, this.options.channelId ?? 'voice', metadata);
      this.sessions.set(session.id, session);
    }
    conn.sampleRate = rate;
    conn.framing = framing;
    this.bindConnection(conn, session);
    conn.sendJson({
      type: 'ready',
      sessionId: session.id,
      roomId: session.roomId,
      participantId: session.participantId,
      sampleRate: rate,
      framing,
    });
    this.emitSessionReady(session);
    return undefined;
  }

  private stop(conn: VoiceConnection): void {
    conn.socket.close(1000, 'stopped');
  }
}
