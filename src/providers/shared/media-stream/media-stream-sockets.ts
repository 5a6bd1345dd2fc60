/**
 * The socket side of a media-stream backend: WebSocket upgrades on `<base>/stream/<id>/<token>`
 * are accepted only for a call a verified webhook announced (once, before it expires) and
 * after the carrier's own upgrade check; everything else gets 403 before a socket exists.
 * Accepted sockets are parsed with the carrier's protocol, kept alive with pings, and the
 * webhooks can be served from the same HTTP server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { createWebhookHandler, type WebhookSource } from '../../../channels/messaging/webhook-endpoint.js';
import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { refuseUpgrade, requestUrl } from '../../../core/ws-upgrade.js';
import { VoiceSocketServer } from '../../../voice/backends/websocket-voice-server.js';
import { writeWebhookResponse } from '../webhook-request.js';
import type { MediaStreamCall } from './media-stream-call.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import type { StreamEvent, StreamProtocol } from './stream-protocol.js';

/** One carrier socket: the call it was announced for, and the call once it started. */
export interface StreamConnection {
  socket: WebSocket;
  pending?: PendingCall;
  call?: MediaStreamCall;
  alive: boolean;
}

export interface MediaStreamSocketsOptions {
  carrier: string;
  streamPath: string;
  heartbeatMs?: number;
  logger: Logger;
  pending: PendingCalls;
  verifyUpgrade(req: IncomingMessage, pending: PendingCall | undefined): Promise<void>;
  acceptsUnannounced(): boolean;
  protocol(): StreamProtocol;
  onEvent(conn: StreamConnection, event: StreamEvent): void;
  onClose(conn: StreamConnection): void;
}

/** Media frames are small; a carrier sending megabytes in one message is not a carrier. */
const MAX_FRAME_BYTES = 256 * 1024;

export class MediaStreamSockets {
  readonly connections = new Set<StreamConnection>();
  private readonly server: VoiceSocketServer;
  private heartbeat?: NodeJS.Timeout;
  private ownServer?: Server;
  private handler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

  constructor(private readonly opts: MediaStreamSocketsOptions) {
    this.server = new VoiceSocketServer({
      path: opts.streamPath,
      maxFrameBytes: MAX_FRAME_BYTES / 4,
      logger: opts.logger,
      name: opts.carrier,
      onUpgrade: (req, socket, head, url) => void this.upgrade(req, socket, head, url),
    });
  }

  owns(pathname: string): boolean {
    return pathname === this.opts.streamPath || pathname.startsWith(`${this.opts.streamPath}/`);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL | undefined): void {
    if (!url || !this.owns(url.pathname)) {
      refuseUpgrade(socket, 404);
      return;
    }
    this.server.handleUpgrade(req, socket, head, url);
  }

  /** Webhook requests for `source`, with the HTTP options of the server they arrive on. */
  handleRequest(
    req: IncomingMessage,
    res: ServerResponse,
    source: WebhookSource,
    http: { publicBaseUrl?: string; trustProxy?: boolean },
  ): Promise<boolean> {
    this.handler ??= createWebhookHandler([source], { ...http, logger: this.opts.logger });
    return this.handler(req, res);
  }

  attach(
    server: Server,
    source: WebhookSource,
    http: { publicBaseUrl?: string; trustProxy?: boolean },
  ): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handleRequest(req, res, source, http)
        .then((handled) => {
          if (!handled && !res.headersSent) writeWebhookResponse(res, { status: 404, body: 'not found' });
        })
        .catch(() => {
          if (!res.headersSent) writeWebhookResponse(res, { status: 500, body: 'internal error' });
        });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head, requestUrl(req)),
    );
  }

  async listen(
    port: number,
    host: string,
    source: WebhookSource,
    http: { publicBaseUrl?: string; trustProxy?: boolean },
  ): Promise<number> {
    if (this.ownServer) return (this.ownServer.address() as AddressInfo).port;
    const server = createServer();
    this.ownServer = server;
    this.attach(server, source, http);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const conn of this.connections) conn.socket.terminate();
    this.connections.clear();
    await this.server.close();
    const own = this.ownServer;
    this.ownServer = undefined;
    if (own?.listening) {
      own.closeAllConnections();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    }
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const { carrier, logger, pending: calls } = this.opts;
    const rest = url.pathname.slice(this.opts.streamPath.length).split('/').filter(Boolean);
    let pending: PendingCall | undefined;
    if (rest.length === 2) pending = calls.find(rest[0]!, rest[1]!);
    const unannounced = rest.length === 0 && this.opts.acceptsUnannounced();
    if (!pending && !unannounced) {
      // Unknown, expired or already used: a replay, a guess, or a call that timed out.
      logger.warn(
        { carrier, stream: rest[0] },
        'media stream upgrade refused: no call announced this stream',
      );
      refuseUpgrade(socket, 403);
      return;
    }
    try {
      await this.opts.verifyUpgrade(req, pending);
    } catch (error) {
      logger.warn({ carrier, stream: pending?.id, err: errorMessage(error) }, 'media stream upgrade refused');
      refuseUpgrade(socket, 403);
      return;
    }
    // Two copies of one upgrade racing: only the first takes the call.
    if (pending && !calls.take(pending)) {
      refuseUpgrade(socket, 403);
      return;
    }
    this.server.accept(req, socket, head, (ws) => this.wire({ socket: ws, pending, alive: true }));
  }

  private wire(conn: StreamConnection): void {
    const { logger, carrier } = this.opts;
    this.connections.add(conn);
    this.armHeartbeat();
    const ws = conn.socket;
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      let event: StreamEvent;
      try {
        event = this.opts.protocol().parse(toBuffer(data), isBinary);
      } catch (error) {
        logger.warn(
          { carrier, sessionId: conn.call?.session.id, err: errorMessage(error) },
          'bad media stream message ignored',
        );
        return;
      }
      try {
        this.opts.onEvent(conn, event);
      } catch (error) {
        // A throwing listener is our bug, not the carrier's: log it, keep the call.
        logger.error({ carrier, err: errorMessage(error) }, 'media stream event handling failed');
      }
    });
    ws.on('close', () => {
      this.connections.delete(conn);
      this.opts.onClose(conn);
    });
    ws.on('error', (error) =>
      logger.warn({ carrier, err: errorMessage(error) }, 'media stream socket error'),
    );
  }

  private armHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const conn of this.connections) {
        if (!conn.alive) {
          this.opts.logger.info(
            { carrier: this.opts.carrier, sessionId: conn.call?.session.id },
            'carrier missed a pong; dropping',
          );
          conn.socket.terminate();
          continue;
        }
        conn.alive = false;
        conn.socket.ping();
      }
    }, this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}
