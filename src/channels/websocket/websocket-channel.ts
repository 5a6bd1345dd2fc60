import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorMessage } from '../../core/errors.js';
import { authenticateUpgrade, refuseUpgrade, requestUrl } from '../../core/ws-upgrade.js';
import { type ChannelBinding, ChannelType, type Room, type RoomEvent } from '../../models/index.js';
import { ALL_CONTENT_TYPES, Channel, type ChannelOutput } from '../channel.js';
import { type AuthResult, ClientConnection } from './connection.js';
import type { HistoryLimits } from './history.js';
import { ClientMessageHandler } from './message-handler.js';
import { errorFrame } from './protocol.js';

export type Authenticate = (
  request: IncomingMessage,
  token: string | undefined,
) => Promise<AuthResult | null | undefined> | AuthResult | null | undefined;

/** What `authorizeJoin` decides on: who asks, which room, and whether this channel is attached to it. */
export interface JoinRequest {
  auth: AuthResult;
  room: Room;
  /** The channel is attached to the room (false: never attached, or detached since). */
  attached: boolean;
}

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
  /**
   * Decides each join that the client's room scope (`AuthResult.rooms`) allows. Default:
   * rooms this channel is attached to are open, all others are closed (a room the channel
   * was detached from stays closed to its clients). Returning true for a room the channel is
   * not attached to attaches it. A callback that throws refuses.
   */
  authorizeJoin?: (request: JoinRequest) => boolean | Promise<boolean>;
  /** Most events in one history page (`join`, `history`); default 100. */
  maxHistoryEvents?: number;
  /** Most bytes of events in one history page; default 256 KiB. Older pages on request. */
  maxHistoryBytes?: number;
  /** Frames of one client handled at once; past it the socket is not read (default 16). */
  maxInflightPerClient?: number;
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
  private readonly inflight = new Set<Promise<void>>();
  private closing = false;
  private ownServer?: Server;
  private heartbeat?: NodeJS.Timeout;
  readonly path: string;
  /** @internal */
  readonly historyLimits: HistoryLimits;

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
    this.historyLimits = {
      maxEvents: options.maxHistoryEvents ?? 100,
      maxBytes: options.maxHistoryBytes ?? 256 * 1024,
    };
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
      const url = requestUrl(req);
      if (url?.pathname === this.path) this.handleUpgrade(req, socket, head, url);
    });
  }

  /**
   * Take one upgrade request (for servers that route upgrades themselves, like
   * `roomkit serve`): authenticate, then accept or refuse with 401.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url = requestUrl(req)): void {
    if (!url) {
      refuseUpgrade(socket, 400);
      return;
    }
    this.heartbeat ??= setInterval(() => this.sweep(), this.options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
    void this.upgrade(req, socket, head, url);
  }

  /** @internal The app's say on a join (see `authorizeJoin`); a throwing callback refuses. */
  async authorizeJoin(conn: ClientConnection, room: Room, attached: boolean): Promise<boolean> {
    const decide = this.options.authorizeJoin;
    if (!decide) return attached;
    try {
      return (await decide({ auth: conn.auth, room, attached })) === true;
    } catch (error) {
      this.kit?.logger.warn(
        { channelId: this.id, err: errorMessage(error) },
        'authorizeJoin threw; refusing',
      );
      return false;
    }
  }

  /** Room events for the clients that joined the room (not the socket that sent it). */
  override async deliver(event: RoomEvent, _binding: ChannelBinding): Promise<ChannelOutput> {
    const members = this.byRoom.get(event.roomId);
    if (!members?.size) return {};
    const frame = JSON.stringify({ type: 'event', event });
    const from = event.source.channelId === this.id ? event.metadata.connectionId : undefined;
    const about = { roomId: event.roomId, index: event.index, eventId: event.id };
    for (const conn of members) if (conn.id !== from) conn.send(frame, about);
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

  /**
   * Stop taking client frames, let the ones being handled finish (their messages commit and
   * are acked, within 5 s), then close every socket with 1001 (terminated after 1 s more).
   */
  override async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.closing = true;
    await Promise.race([Promise.allSettled([...this.inflight]), delay(5_000)]);
    const open = [...this.connections].map(
      (conn) => new Promise<void>((resolve) => conn.socket.once('close', () => resolve())),
    );
    for (const conn of this.connections) conn.socket.close(1001, 'server shutting down');
    await Promise.race([Promise.all(open), delay(1_000)]);
    for (const conn of this.connections) conn.socket.terminate();
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
        { channelId: this.id, connectionId: c.id, buffered: c.socket.bufferedAmount },
        'websocket client not reading (send budget exceeded); disconnecting',
      );
      // It does not read, so a close handshake would never finish: free its buffers now.
      c.socket.terminate();
    });
    this.connections.add(conn);
    const maxInflight = this.options.maxInflightPerClient ?? 16;
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closing) return; // shutting down: nothing new starts
      // Frames are handled concurrently up to a limit; beyond it the socket is not read, so
      // a flooding client is slowed by TCP instead of queueing work in our memory.
      if (++conn.inflight >= maxInflight) ws.pause();
      const work = this.handler
        .handle(conn, data, isBinary)
        .catch((error) => {
          this.kit?.logger.error(
            { channelId: this.id, err: errorMessage(error) },
            'websocket message handling failed',
          );
          conn.send(errorFrame('internal', 'internal error'));
        })
        .finally(() => {
          this.inflight.delete(work);
          if (--conn.inflight < maxInflight && ws.isPaused) ws.resume();
        });
      this.inflight.add(work);
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

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
