import type { WebSocket } from 'ws';

export interface AuthResult {
  userId: string;
  displayName?: string;
  /** Rooms this user may join; '*' (default) means any. */
  rooms?: readonly string[] | '*';
  metadata?: Record<string, unknown>;
}

let counter = 0;

/** One authenticated client socket and the rooms it has joined. */
export class ClientConnection {
  readonly id = `conn_${++counter}_${Date.now().toString(36)}`;
  readonly rooms = new Set<string>();
  alive = true;

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

  /**
   * Send a frame unless the client is too far behind: a socket whose unsent buffer passed
   * the limit is closed (1013, try again later) rather than letting it hold memory or
   * slow the channel's delivery for everyone else.
   */
  send(frame: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.onOverflow(this);
      return;
    }
    this.socket.send(frame);
  }
}
