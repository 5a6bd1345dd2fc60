import { WebSocket } from 'ws';

/**
 * A chat client of one room, as a resilient app would write it: it keeps every event it has
 * seen by index (live `event` frames, its own messages' acks, history pages), sends messages with
 * idempotency keys, and after its server dies it connects to another one, joins again, pages
 * back through history to the last index it had, and sends again what was never acknowledged
 * (the key makes a message that did commit come back as a duplicate, not twice).
 */
export interface SeenEvent {
  id: string;
  index: number;
  channelId: string;
  body?: string;
  responseTo?: string;
}

interface Pending {
  key: string;
  body: string;
}

export class RoomClient {
  /** index -> event, from every source; a second sighting must name the same event. */
  readonly seen = new Map<number, SeenEvent>();
  /** Indices in the order `event` frames arrived (must be ascending per connection). */
  readonly liveOrder: number[][] = [];
  readonly acked = new Map<string, SeenEvent>();
  readonly errors: { code: string; message: string }[] = [];
  readonly conflicts: string[] = [];
  readonly ephemeral: { type: string; participantId?: string }[] = [];
  streamFrames = 0;
  reconnects = 0;
  private socket?: WebSocket;
  private readonly pending = new Map<string, Pending>();
  private sent = 0;
  private waiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly roomId: string,
  ) {}

  /** Connect to a server (its /ws URL carrying a token) and join the room. */
  async connect(wsUrl: string, origin: string): Promise<void> {
    const socket = new WebSocket(wsUrl, { headers: { origin } });
    this.socket = socket;
    const order: number[] = [];
    this.liveOrder.push(order);
    socket.on('message', (data) => this.onFrame(JSON.parse(data.toString()), order));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no connection in 10 s`)), 10_000);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const joined = this.frame((f) => f.type === 'joined' || f.type === 'error', 10_000);
    socket.send(JSON.stringify({ type: 'join', roomId: this.roomId, history: 100 }));
    const reply = await joined;
    if (reply.type !== 'joined') throw new Error(`${this.name}: join refused: ${JSON.stringify(reply)}`);
    await this.backfill(reply);
  }

  /** After the server died: join through another one and pick up where we were. */
  async resume(wsUrl: string, origin: string): Promise<void> {
    this.reconnects++;
    await this.connect(wsUrl, origin);
    for (const message of this.pending.values()) this.transmit(message);
  }

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves when the socket closes (the server went away). */
  closed(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  send(body: string): string {
    const key = `${this.name}-${this.sent++}`;
    const message = { key, body };
    this.pending.set(key, message);
    this.transmit(message);
    return key;
  }

  get unacked(): number {
    return this.pending.size;
  }

  /** Send again what was never acknowledged (after an error frame, say). */
  retryPending(): void {
    for (const message of this.pending.values()) this.transmit(message);
  }

  typing(): void {
    this.socket?.send(JSON.stringify({ type: 'typing', roomId: this.roomId, typing: true }));
  }

  /** The highest index seen with nothing missing below it. */
  get contiguous(): number {
    let i = -1;
    while (this.seen.has(i + 1)) i++;
    return i;
  }

  /** Wait until a condition on what was received holds (checked on every frame, bounded). */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close();
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    socket.terminate();
  }

  private transmit(message: Pending): void {
    if (!this.open) return; // sent again by resume()
    this.socket!.send(
      JSON.stringify({
        type: 'message',
        roomId: this.roomId,
        clientId: message.key,
        idempotencyKey: message.key,
        content: { type: 'text', body: message.body },
      }),
    );
  }

  /** Page back from the joined page until it meets what we already had. */
  private async backfill(first: HistoryFrame): Promise<void> {
    const had = this.contiguous;
    for (let page = first; ; ) {
      for (const event of page.events) this.record(event);
      const oldest = page.events[0]?.index;
      if (!page.hasMore || oldest === undefined || oldest <= had + 1) return;
      const next = this.frame((f) => f.type === 'history' || f.type === 'error', 10_000);
      this.socket!.send(
        JSON.stringify({
          type: 'history',
          roomId: this.roomId,
          beforeIndex: page.nextBeforeIndex,
          limit: 100,
        }),
      );
      page = await next;
      if (page.events === undefined)
        throw new Error(`${this.name}: history refused: ${JSON.stringify(page)}`);
    }
  }

  private onFrame(frame: any, order: number[]): void {
    switch (frame.type) {
      case 'event':
        order.push(frame.event.index);
        this.record(frame.event);
        break;
      case 'ack':
        if (frame.event) {
          const seen = this.record(frame.event);
          this.acked.set(frame.clientId, seen);
        }
        this.pending.delete(frame.clientId);
        break;
      case 'error':
        this.errors.push({ code: frame.code, message: frame.message });
        break;
      case 'ephemeral':
        this.ephemeral.push(frame.event);
        break;
      case 'stream':
        this.streamFrames++;
        break;
    }
    for (const listener of this.frameListeners) listener(frame);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private readonly frameListeners = new Set<(frame: any) => void>();

  private frame(match: (frame: any) => boolean, timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const listener = (frame: any) => {
        if (!match(frame)) return;
        clearTimeout(timer);
        this.frameListeners.delete(listener);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.frameListeners.delete(listener);
        reject(new Error(`${this.name}: no matching frame in ${timeoutMs} ms`));
      }, timeoutMs);
      this.frameListeners.add(listener);
    });
  }

  private record(event: any): SeenEvent {
    const seen: SeenEvent = {
      id: event.id,
      index: event.index,
      channelId: event.source.channelId,
      body: event.content?.body,
      responseTo: event.responseTo,
    };
    const before = this.seen.get(seen.index);
    if (before && before.id !== seen.id) this.conflicts.push(`${seen.index}: ${before.id} then ${seen.id}`);
    if (!before) this.seen.set(seen.index, seen);
    return seen;
  }
}

interface HistoryFrame {
  events: any[];
  hasMore: boolean;
  nextBeforeIndex?: number;
}
