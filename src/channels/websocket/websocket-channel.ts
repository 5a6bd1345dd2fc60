import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorMessage } from '../../core/errors.js';
import { authenticateUpgrade, refuseUpgrade } from '../../core/ws-upgrade.js';
import { type ChannelBinding, ChannelType, type RoomEvent } from '../../models/index.js';
import { ALL_CONTENT_TYPES, Channel, type ChannelOutput } from '../channel.js';
import { type AuthResult, ClientConnection } from './connection.js';
import { ClientMessageHandler } from './message-handler.js';
import { errorFrame } from './protocol.js';

export type Authenticate = (
  request: IncomingMessage,
  token: string | undefined,
) => Promise<AuthResult | null | undefined> | AuthResult | null | undefined;

export interface WebSocketChannelOptions {
  /** Decides who may connect (token from `Authorization: Bearer` or `?token=`). Null refuses. */
  authenticate: Authenticate;
  /** Attach to this HTTP server; otherwise `listen()` starts a standalone one. */
  server?: Server;
  path?: string;
  /** Ping interval; a client that missed the previous pong is dropped (default 30 s). */
  heartbeatMs?: number;
  /** Frames larger than this get an error frame (default 64 KiB); 4x closes the socket. */
  maxMessageBytes?: number;
  /** Unsent bytes a slow client may hold before it is disconnected (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Create rooms that clients join but do not exist yet (default false). */
  autoCreateRooms?: boolean;
}

/**
 * A WebSocket server as a channel: each authenticated client joins rooms and only ever
 * receives the events of rooms it joined. One channel serves many clients, so it opts in
 * to receiving its own clients' events (multiplexed) and skips only the sender's socket.
 */
export class WebSocketChannel extends Channel {
  readonly channelType = ChannelType.WEBSOCKET;
  readonly connections = new Set<ClientConnection>();
  private readonly wss: WebSocketServer;
  private readonly byRoom = new Map<string, Set<ClientConnection>>();
  /** Per joined room: the ephemeral (typing, presence, receipts) subscription to undo. */
  private readonly ephemeralOff = new Map<string, () => void>();
  private readonly handler: ClientMessageHandler;
  private ownServer?: Server;
  private heartbeat?: NodeJS.Timeout;
  readonly path: string;

  constructor(
    id: string,
    readonly options: WebSocketChannelOptions,
  ) {
    super(id);
    this.capabilities = { contentTypes: ALL_CONTENT_TYPES, streaming: true, multiplexed: true };
    this.path = options.path ?? '/ws';
    const maxMessage = options.maxMessageBytes ?? 64 * 1024;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxMessage * 4 });
    this.handler = new ClientMessageHandler(this, maxMessage);
    if (options.server) this.attach(options.server);
  }

  /** Start a standalone server (when no `server` was given). Resolves with the bound port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    if (!this.ownServer) {
      this.ownServer = createServer((_req, res) => res.writeHead(426).end('WebSocket only'));
      this.attach(this.ownServer);
    }
    await new Promise<void>((resolve) => this.ownServer!.listen(port, host, resolve));
    const address = this.ownServer.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Handle upgrades on `path` of an existing HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== this.path) return;
      void this.upgrade(req, socket, head, url);
    });
    this.heartbeat ??= setInterval(() => this.sweep(), this.options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
  }

  /** Room events for the clients that joined the room (not the socket that sent it). */
  override async deliver(event: RoomEvent, _binding: ChannelBinding): Promise<ChannelOutput> {
    const members = this.byRoom.get(event.roomId);
    if (!members?.size) return {};
    const frame = JSON.stringify({ type: 'event', event });
    const from = event.source.channelId === this.id ? event.metadata.connectionId : undefined;
    for (const conn of members) if (conn.id !== from) conn.send(frame);
    return {};
  }

  override async deliverStreamDelta(delta: {
    roomId: string;
    streamId: string;
    text: string;
    done: boolean;
    sourceChannelId: string;
  }): Promise<void> {
    const members = this.byRoom.get(delta.roomId);
    if (!members?.size) return;
    const frame = JSON.stringify({ type: 'stream', ...delta });
    for (const conn of members) conn.send(frame);
  }

  /** @internal */
  join(conn: ClientConnection, roomId: string): void {
    conn.rooms.add(roomId);
    let set = this.byRoom.get(roomId);
    if (!set) {
      this.byRoom.set(roomId, (set = new Set()));
      this.forwardEphemeral(roomId);
    }
    set.add(conn);
  }

  /** @internal */
  leave(conn: ClientConnection, roomId: string): void {
    conn.rooms.delete(roomId);
    const set = this.byRoom.get(roomId);
    set?.delete(conn);
    if (set?.size === 0) {
      this.byRoom.delete(roomId);
      this.ephemeralOff.get(roomId)?.();
      this.ephemeralOff.delete(roomId);
    }
  }

  /** Typing, presence and read receipts of a room reach its members (bounded, never stored). */
  private forwardEphemeral(roomId: string): void {
    const off = this.kit?.subscribeEphemeral(roomId, (event) => {
      const frame = JSON.stringify({ type: 'ephemeral', event });
      for (const conn of this.byRoom.get(roomId) ?? []) conn.send(frame);
    });
    if (off) this.ephemeralOff.set(roomId, off);
  }

  override async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const conn of this.connections) conn.socket.close(1001, 'server shutting down');
    this.wss.close();
    if (this.ownServer) await new Promise<void>((resolve) => this.ownServer!.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const auth = await authenticateUpgrade(req, url, this.options.authenticate, (error) =>
      this.kit?.logger.warn({ channelId: this.id, err: errorMessage(error) }, 'websocket authenticate threw'),
    );
    if (!auth) return refuseUpgrade(socket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, auth));
  }

  private accept(ws: WebSocket, auth: AuthResult): void {
    const conn = new ClientConnection(ws, auth, this.options.maxBufferedBytes ?? 1024 * 1024, (c) => {
      this.kit?.logger.warn(
        { channelId: this.id, connectionId: c.id },
        'websocket client too slow; disconnecting',
      );
      c.socket.close(1013, 'client too slow');
    });
    this.connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void this.handler.handle(conn, data, isBinary).catch((error) => {
        this.kit?.logger.error(
          { channelId: this.id, err: errorMessage(error) },
          'websocket message handling failed',
        );
        conn.send(errorFrame('internal', 'internal error'));
      });
    });
    ws.on('close', () => {
      this.connections.delete(conn);
      for (const roomId of [...conn.rooms]) this.leave(conn, roomId);
    });
    ws.on('error', (error) =>
      this.kit?.logger.warn({ channelId: this.id, err: errorMessage(error) }, 'websocket error'),
    );
    conn.send(JSON.stringify({ type: 'ready', userId: auth.userId, connectionId: conn.id }));
  }

  private sweep(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }
}
