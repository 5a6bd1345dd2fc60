import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { errorFrame } from './protocol.js';

export interface AuthResult {
  userId: string;
  displayName?: string;
  /** Rooms this user may join; '*' (default) means any. */
  rooms?: readonly string[] | '*';
  metadata?: Record<string, unknown>;
}

/** One authenticated client socket and the rooms it has joined. */
export class ClientConnection {
  /**
   * Random, so it is unique across the processes of a cluster: an event names the connection it
   * came from (`metadata.connectionId`) and every process skips that one connection only.
   */
  readonly id = `conn_${randomUUID()}`;
  readonly rooms = new Set<string>();
  alive = true;
  /** Client frames being handled now; past a limit the socket stops being read. */
  inflight = 0;
  private overflowed = false;

  constructor(
    readonly socket: WebSocket,
    readonly auth: AuthResult,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: (conn: ClientConnection) => void,
  ) {}

  mayJoin(roomId: string): boolean {
    const allowed = this.auth.rooms ?? '*';
    return allowed === '*' || allowed.includes(roomId);
  }

  get open(): boolean {
    return !this.overflowed && this.socket.readyState === this.socket.OPEN;
  }

  /**
   * Send a frame within the client's budget of unsent bytes, counting the frame itself: a
   * client that does not read is dropped before it holds more than the budget (checking only
   * what was already queued let one 16 MB frame through every time). A frame that could never
   * fit is not sent; the client gets a `too_large` error naming what it missed instead.
   */
  send(frame: string, about?: Record<string, unknown>): boolean {
    if (!this.open) return false;
    const size = Buffer.byteLength(frame);
    if (size > this.maxBufferedBytes) {
      const notice = errorFrame(
        'too_large',
        `a ${size}-byte frame exceeds this connection's ${this.maxBufferedBytes}-byte budget and was not sent`,
        about,
      );
      return this.queue(notice, Buffer.byteLength(notice)) && false;
    }
    return this.queue(frame, size);
  }

  private queue(frame: string, size: number): boolean {
    if (this.socket.bufferedAmount + size > this.maxBufferedBytes) {
      this.overflowed = true;
      this.onOverflow(this);
      return false;
    }
    this.socket.send(frame);
    return true;
  }
}
