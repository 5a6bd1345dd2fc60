import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../core/logger.js';
import type { AudioChunk, AudioFrame, VoiceSession } from '../types.js';
import { VoiceCapability, VoiceSessionState } from '../types.js';
import { VoiceBackend } from './voice-backend.js';
import type { VoiceConnection } from './websocket-voice-connection.js';
import type { InboundHandlers, InboundLimits } from './websocket-voice-inbound.js';
import { sendOutboundAudio } from './websocket-voice-outbound.js';
import { VoiceSocketServer } from './websocket-voice-server.js';

export interface SocketVoiceBackendSettings {
  /** Backend name (logs, traces). */
  name: string;
  path: string;
  host?: string;
  heartbeatMs?: number;
  /** Largest audio payload per inbound frame, in bytes (default 64 KiB). */
  maxFrameBytes?: number;
  /** Unsent bytes a client may hold before it is dropped as too slow (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Client rate when a session has none yet (default 16000). */
  sampleRate?: number;
  logger: Logger;
}

/**
 * How the WebSocket transports pace a reply: 160 ms ahead of the caller's playback, topped up
 * 100 ms (five frames) at a time. The socket is corked per tick, so a batch leaves in one
 * syscall, and the syscalls are a tenth of a busy server's CPU: five frames a write instead of
 * three took 6% off the server's CPU at 1,000 calls. The client holds 60-160 ms, and
 * `clear_audio` empties it on barge-in.
 */
export const WEBSOCKET_PACING = { leadMs: 160, batchMs: 100 } as const;

/**
 * What the WebSocket voice transports share once a socket carries a session (the start/ready
 * backend and the seed's realtime transport differ only in how a session begins and in a
 * few message shapes): the server, outbound audio, playback control, ending and dropping.
 */
export abstract class SocketVoiceBackend<C extends VoiceConnection = VoiceConnection> extends VoiceBackend {
  readonly name: string;
  override readonly capabilities: VoiceCapability = VoiceCapability.INTERRUPTION;
  override readonly pacing = WEBSOCKET_PACING;
  readonly path: string;
  protected readonly bySession = new Map<string, C>();
  protected readonly server: VoiceSocketServer;
  protected readonly logger: Logger;
  protected readonly maxFrameBytes: number;
  /** Send budget per client, for new connections. */
  protected readonly maxBufferedBytes: number;
  private readonly defaultRate: number;

  constructor(settings: SocketVoiceBackendSettings) {
    super();
    this.name = settings.name;
    this.path = settings.path;
    this.logger = settings.logger;
    this.maxFrameBytes = settings.maxFrameBytes ?? 64 * 1024;
    this.maxBufferedBytes = settings.maxBufferedBytes ?? 1024 * 1024;
    this.defaultRate = settings.sampleRate ?? 16000;
    this.server = new VoiceSocketServer({
      path: this.path,
      host: settings.host,
      heartbeatMs: settings.heartbeatMs,
      maxFrameBytes: this.maxFrameBytes,
      logger: this.logger,
      name: this.name,
      onUpgrade: (req, socket, head, url) => void this.upgrade(req, socket, head, url),
    });
  }

  /** An upgrade request on `path`: authenticate, then `server.accept` or refuse. */
  protected abstract upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void>;

  /** The open client sockets. */
  get connections(): ReadonlySet<VoiceConnection> {
    return this.server.connections;
  }

  /** Start a standalone HTTP server; resolves with the bound port (idempotent). */
  listen(port = 0, host?: string): Promise<number> {
    return this.server.listen(port, host);
  }

  /** Handle upgrades on `path` of an existing HTTP server. */
  attach(server: Server): void {
    this.server.attach(server);
  }

  /** Take one upgrade request (for servers that route upgrades themselves, like `roomkit serve`). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url?: URL): void {
    this.server.handleUpgrade(req, socket, head, url);
  }

  override sampleRateFor(session: VoiceSession): number {
    return this.bySession.get(session.id)?.sampleRate ?? this.defaultRate;
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

  /** The client may have gone between the caller's check and now: audio to nobody is dropped. */
  async sendAudio(
    session: VoiceSession,
    audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
  ): Promise<void> {
    await sendOutboundAudio(this.bySession.get(session.id), audio);
  }

  /** A paced frame goes straight to the socket: no chunk, no promise (the per-frame hot path). */
  override sendPacedFrame(session: VoiceSession, frame: AudioFrame, onError: (error: unknown) => void): void {
    const conn = this.bySession.get(session.id);
    if (!conn?.open) return;
    const data = frame.data;
    if (frame.sampleRate !== conn.sampleRate || conn.carry !== undefined) {
      super.sendPacedFrame(session, frame, onError);
      return;
    }
    try {
      // A Buffer view is what ws sends as is.
      conn.sendPcm(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    } catch (error) {
      onError(error);
    }
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

  override async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
    await this.server.close();
  }

  // ---- for implementations -----------------------------------------------------------------

  /** A client that does not read what we send: a close handshake would never finish. */
  protected readonly onOverflow = (conn: VoiceConnection): void => {
    this.logger.warn(
      { backend: this.name, sessionId: conn.session?.id, buffered: conn.socket.bufferedAmount },
      'voice client not reading (send buffer full); disconnecting',
    );
    conn.socket.terminate();
  };

  /** Route a new connection's frames to `handlers`; its close is a drop (see `dropped`). */
  protected track(conn: C, limits: InboundLimits, handlers: InboundHandlers): void {
    this.server.wire(conn, limits, handlers, () => this.dropped(conn));
  }

  /** The connection carries the session from now on. */
  protected bindConnection(conn: C, session: VoiceSession): void {
    conn.session = session;
    this.bySession.set(session.id, conn);
    this.trace(session, 'inbound', 'client connected');
  }

  /** The socket closed: a client drop unless the server ended the session itself. */
  private dropped(conn: C): void {
    const session = conn.session;
    if (!session || this.bySession.get(session.id) !== conn) return;
    this.bySession.delete(session.id);
    if (conn.closedByServer) return;
    this.trace(session, 'inbound', 'client disconnected');
    this.emitClientDisconnected(session);
    this.forgetSession(session);
  }

  protected trace(session: VoiceSession, direction: 'inbound' | 'outbound', summary: string): void {
    this.emitTrace({
      protocol: 'websocket',
      direction,
      summary,
      sessionId: session.id,
      roomId: session.roomId,
    });
  }
}
