import type { RawData } from 'ws';
import { parseClientFrame } from '../../core/client-frame.js';
import { errorMessage, RoomKitError } from '../../core/errors.js';
import type { ClientConnection } from './connection.js';
import { historyFrame, readHistoryPage } from './history.js';
import { CLIENT_MESSAGE_TYPES, ClientMessage, type ErrorCode, errorFrame } from './protocol.js';
import type { WebSocketChannel } from './websocket-channel.js';

/**
 * Validates and executes one client frame. Every failure answers with an error frame on
 * that socket only; nothing a client sends can take down the channel or the process.
 */
export class ClientMessageHandler {
  constructor(
    private readonly channel: WebSocketChannel,
    private readonly maxBytes: number,
  ) {}

  async handle(conn: ClientConnection, data: RawData, isBinary: boolean): Promise<void> {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (isBinary) return this.fail(conn, 'invalid_message', 'binary frames are not part of this protocol');
    if (size > this.maxBytes)
      return this.fail(conn, 'too_large', `message of ${size} bytes exceeds ${this.maxBytes}`);
    const parsed = parseClientFrame(data.toString(), ClientMessage, CLIENT_MESSAGE_TYPES);
    if (!parsed.ok) return this.fail(conn, parsed.code, parsed.message);
    await this.execute(conn, parsed.message);
  }

  private async execute(conn: ClientConnection, msg: ClientMessage): Promise<void> {
    const kit = this.channel.roomKit;
    if (!kit) return this.fail(conn, 'internal', 'channel is not registered with a kit');
    if ('roomId' in msg && msg.type !== 'leave' && !conn.mayJoin(msg.roomId)) {
      return this.fail(conn, 'forbidden', `not allowed in room ${msg.roomId}`, { roomId: msg.roomId });
    }
    switch (msg.type) {
      case 'ping':
        return void conn.send(JSON.stringify({ type: 'pong' }));
      case 'join':
        return this.join(conn, msg.roomId, msg.history);
      case 'leave':
        this.channel.leave(conn, msg.roomId);
        return void conn.send(JSON.stringify({ type: 'left', roomId: msg.roomId }));
      case 'history': {
        if (!conn.rooms.has(msg.roomId)) return this.notJoined(conn, msg.roomId);
        const binding = await kit.getBinding(msg.roomId, this.channel.id);
        if (!binding)
          return this.fail(conn, 'room_not_found', `no room ${msg.roomId}`, { roomId: msg.roomId });
        const page = await readHistoryPage(
          kit.store,
          msg.roomId,
          binding,
          conn.auth.userId,
          { beforeIndex: msg.beforeIndex, limit: msg.limit ?? 50 },
          this.channel.historyLimits,
        );
        return void conn.send(historyFrame('history', { roomId: msg.roomId }, page));
      }
      case 'typing':
        if (!conn.rooms.has(msg.roomId)) return this.notJoined(conn, msg.roomId);
        return kit.setTyping(msg.roomId, conn.auth.userId, msg.typing, this.channel.id);
      case 'message': {
        if (!conn.rooms.has(msg.roomId)) return this.notJoined(conn, msg.roomId, msg.clientId);
        try {
          const result = await kit.processInbound({
            channelId: this.channel.id,
            roomId: msg.roomId,
            senderId: conn.auth.userId,
            content: msg.content,
            idempotencyKey: msg.idempotencyKey,
            metadata: { connectionId: conn.id },
          });
          return void conn.send(
            JSON.stringify({
              type: 'ack',
              clientId: msg.clientId,
              blocked: result.blocked,
              reason: result.reason,
              duplicate: result.duplicate,
              event: result.event,
            }),
          );
        } catch (error) {
          const code = error instanceof RoomKitError ? error.code : 'internal';
          const known: ErrorCode =
            code === 'room_not_found' || code === 'room_closed'
              ? code
              : code === 'validation_error'
                ? 'invalid_message'
                : code === 'store_unavailable' || code === 'pubsub_unavailable'
                  ? 'unavailable'
                  : 'internal';
          if (known === 'internal') {
            kit.logger.error(
              { channelId: this.channel.id, err: errorMessage(error) },
              'websocket message failed',
            );
          }
          const text = known === 'internal' ? 'the message could not be processed' : errorMessage(error);
          return this.fail(conn, known, text, { roomId: msg.roomId, clientId: msg.clientId });
        }
      }
    }
  }

  /**
   * The token's scope was checked by the caller. A room the channel is not attached to
   * (never attached, or detached since) does not exist for its clients unless the app's
   * `authorizeJoin` says otherwise; `autoCreateRooms` creates and attaches unknown ones.
   */
  private async join(conn: ClientConnection, roomId: string, history: number | undefined): Promise<void> {
    const kit = this.channel.roomKit!;
    let room = await kit.getRoom(roomId);
    let binding = room ? await kit.getBinding(roomId, this.channel.id) : undefined;
    if (!room && this.channel.options.autoCreateRooms) {
      room = await kit.createRoom({ roomId });
      binding = await kit.attachChannel(roomId, this.channel.id);
    }
    if (!room) return this.fail(conn, 'room_not_found', `no room ${roomId}`, { roomId });
    const allowed = await this.channel.authorizeJoin(conn, room, binding !== undefined);
    if (!allowed) {
      // Not attached and not allowed: to this channel's clients the room does not exist.
      return binding
        ? this.fail(conn, 'forbidden', `not allowed in room ${roomId}`, { roomId })
        : this.fail(conn, 'room_not_found', `no room ${roomId}`, { roomId });
    }
    binding ??= await kit.attachChannel(roomId, this.channel.id);
    this.channel.join(conn, roomId);
    const page = await readHistoryPage(
      kit.store,
      roomId,
      binding,
      conn.auth.userId,
      { limit: history ?? 50 },
      this.channel.historyLimits,
    );
    conn.send(historyFrame('joined', { roomId, room }, page));
  }

  private notJoined(conn: ClientConnection, roomId: string, clientId?: string): void {
    this.fail(conn, 'not_joined', `join ${roomId} first`, { roomId, clientId });
  }

  private fail(
    conn: ClientConnection,
    code: ErrorCode,
    message: string,
    extra?: Record<string, unknown>,
  ): void {
    this.channel.roomKit?.logger.info(
      { channelId: this.channel.id, connectionId: conn.id, code, message },
      'rejected client message',
    );
    conn.send(errorFrame(code, message, extra));
  }
}
