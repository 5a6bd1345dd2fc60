import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { refuseUpgrade, requestUrl } from '../../core/ws-upgrade.js';
import type { VoiceConnection } from './websocket-voice-connection.js';
import { handleInbound, type InboundHandlers, type InboundLimits } from './websocket-voice-inbound.js';

export interface VoiceSocketServerOptions {
  /** Upgrade path, e.g. '/voice'. */
  path: string;
  /** Host of a standalone server (default 127.0.0.1). */
  host?: string;
  /** Ping interval; a client that missed the previous pong is dropped (default 15 s). */
  heartbeatMs?: number;
  /** Largest audio payload per frame, in bytes. */
  maxFrameBytes: number;
  logger: Logger;
  /** Names the transport in log lines. */
  name: string;
  /** An upgrade request on `path`: authenticate it, then `accept` (or refuse). */
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;
}

/**
 * The socket side both WebSocket voice transports share (the start/ready backend and the
 * seed's realtime transport): an HTTP server of its own or someone else's, upgrades on one
 * path, connections wired to the frame parser, a heartbeat that drops silent clients.
 */
export class VoiceSocketServer {
  readonly connections = new Set<VoiceConnection>();
  private readonly wss: WebSocketServer;
  private ownServer?: Server;
  private listening?: Promise<number>;
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly opts: VoiceSocketServerOptions) {
    // ws closes the socket past maxPayload; oversized frames below that get a typed error
    // from the parser, so only absurd frames (4x) cost the client its connection.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes * 4 + 4096 });
  }

  /** Start a standalone HTTP server; resolves with the bound port (idempotent). */
  listen(port = 0, host = this.opts.host ?? '127.0.0.1'): Promise<number> {
    if (this.listening) return this.listening;
    const server = createServer((_req, res) => res.writeHead(426).end('WebSocket only'));
    this.ownServer = server;
    this.attach(server);
    this.listening = new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
    return this.listening;
  }

  /** Handle upgrades on `path` of an existing HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      const url = requestUrl(req);
      if (url?.pathname === this.opts.path) this.handleUpgrade(req, socket, head, url);
    });
  }

  /** Take one upgrade request (for servers that route upgrades themselves). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url = requestUrl(req)): void {
    if (!url) {
      refuseUpgrade(socket, 400);
      return;
    }
    this.startHeartbeat();
    this.opts.onUpgrade(req, socket, head, url);
  }

  /** Complete an upgrade that was authenticated (here, or by the process that handed it over). */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, onSocket: (ws: WebSocket) => void): void {
    this.startHeartbeat();
    this.wss.handleUpgrade(req, socket, head, onSocket);
  }

  private startHeartbeat(): void {
    this.heartbeat ??= setInterval(() => this.sweep(), this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /**
   * Track a connection and wire its socket: client frames through the parser to `handlers`,
   * pongs for the heartbeat, `onClose` once it closes.
   */
  wire(conn: VoiceConnection, limits: InboundLimits, handlers: InboundHandlers, onClose: () => void): void {
    const { logger, name } = this.opts;
    this.connections.add(conn);
    const ws = conn.socket;
    ws.on('pong', () => {
      conn.alive = true;
    });
    // A throwing listener is a framework bug, not the client's: log it, keep the socket.
    const failed = (error: unknown) => {
      logger.error({ backend: name, err: errorMessage(error) }, 'voice frame handling failed');
      conn.error('internal', 'internal error');
    };
    // Binary messages arrive as ws's own array of fragments, which `handleInbound` empties once
    // read: V8 may pretenure that per-message array (seen at 600 calls), and each dead one in
    // the old generation would keep its frame's buffers alive through every scavenge until a
    // full GC (2 MB promoted per scavenge, pauses 4.5 ms instead of 2.8).
    ws.binaryType = 'fragments';
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      try {
        handleInbound(conn, data, isBinary, limits, handlers)?.catch(failed);
      } catch (error) {
        failed(error);
      }
    });
    ws.on('close', () => {
      this.connections.delete(conn);
      conn.dispose();
      onClose();
    });
    ws.on('error', (error) => logger.warn({ backend: name, err: errorMessage(error) }, 'voice socket error'));
  }

  /** Terminate every connection and stop listening. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const conn of this.connections) conn.socket.terminate();
    this.wss.close();
    const server = this.ownServer;
    this.ownServer = undefined;
    this.listening = undefined;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private sweep(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.opts.logger.info(
          { backend: this.opts.name, sessionId: conn.session?.id },
          'voice client missed a pong; dropping',
        );
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }
}
