import type { RawData } from 'ws';
import { parseClientFrame } from '../../core/client-frame.js';
import { errorMessage, RoomKitError } from '../../core/errors.js';
import type { ClientConnection } from './connection.js';
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
    switch (msg.type) {
      case 'ping':
        return conn.send(JSON.stringify({ type: 'pong' }));
      case 'join': {
        if (!conn.mayJoin(msg.roomId))
          return this.fail(conn, 'forbidden', `not allowed in room ${msg.roomId}`);
        let room = await kit.getRoom(msg.roomId);
        if (!room && this.channel.options.autoCreateRooms)
          room = await kit.createRoom({ roomId: msg.roomId });
        if (!room) return this.fail(conn, 'room_not_found', `no room ${msg.roomId}`);
        if (!(await kit.getBinding(msg.roomId, this.channel.id)))
          await kit.attachChannel(msg.roomId, this.channel.id);
        this.channel.join(conn, msg.roomId);
        const events = await kit.store.listEvents(msg.roomId, {
          limit: msg.history ?? 50,
          direction: 'backward',
        });
        return conn.send(JSON.stringify({ type: 'joined', roomId: msg.roomId, room, events }));
      }
      case 'leave':
        this.channel.leave(conn, msg.roomId);
        return conn.send(JSON.stringify({ type: 'left', roomId: msg.roomId }));
      case 'history': {
        if (!conn.rooms.has(msg.roomId)) return this.fail(conn, 'not_joined', `join ${msg.roomId} first`);
        const events = await kit.store.listEvents(msg.roomId, {
          beforeIndex: msg.beforeIndex,
          limit: msg.limit ?? 50,
          direction: 'backward',
        });
        return conn.send(JSON.stringify({ type: 'history', roomId: msg.roomId, events }));
      }
      case 'typing':
        if (!conn.rooms.has(msg.roomId)) return this.fail(conn, 'not_joined', `join ${msg.roomId} first`);
        return kit.setTyping(msg.roomId, conn.auth.userId, msg.typing, this.channel.id);
      case 'message': {
        if (!conn.rooms.has(msg.roomId)) return this.fail(conn, 'not_joined', `join ${msg.roomId} first`);
        try {
          const result = await kit.processInbound({
            channelId: this.channel.id,
            roomId: msg.roomId,
            senderId: conn.auth.userId,
            content: msg.content,
            idempotencyKey: msg.idempotencyKey,
            metadata: { connectionId: conn.id },
          });
          return conn.send(
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
          return this.fail(
            conn,
            code === 'room_not_found' ? 'room_not_found' : 'internal',
            errorMessage(error),
            {
              clientId: msg.clientId,
            },
          );
        }
      }
    }
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
