/**
 * Presence, typing, read receipts and notices (a failed model call: `data` is a FailureNotice):
 * fan-out only, never stored.
 */
export interface EphemeralEvent {
  type: 'typing' | 'presence' | 'read_receipt' | 'stream_delta' | 'notice' | (string & {});
  roomId: string;
  participantId?: string;
  channelId?: string;
  data?: Record<string, unknown>;
  at: number;
}

export type EphemeralHandler = (event: EphemeralEvent) => void | Promise<void>;

export interface EphemeralSubscribeOptions {
  /** Events waiting for a slow subscriber; past it the oldest are dropped (default 100). */
  maxQueue?: number;
}

class Subscriber {
  private readonly queue: EphemeralEvent[] = [];
  private draining = false;
  dropped = 0;

  constructor(
    readonly handler: EphemeralHandler,
    private readonly maxQueue: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  offer(event: EphemeralEvent): void {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(event);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      const event = this.queue.shift()!;
      try {
        await this.handler(event);
      } catch (error) {
        this.onError(error);
      }
    }
    this.draining = false;
  }
}

/**
 * In-process ephemeral pub/sub. Each subscriber has its own bounded queue, so a slow or
 * failing subscriber neither blocks publishers nor other subscribers.
 */
export class EphemeralBus {
  private readonly rooms = new Map<string, Set<Subscriber>>();
  /** @internal Where published events also go: the other processes of a cluster. */
  relay?: (event: EphemeralEvent) => void;

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  publish(event: Omit<EphemeralEvent, 'at'> & { at?: number }): void {
    // Nobody here and no other process to tell (the voice feed's levels, ten a second per call).
    if (!this.relay && !this.rooms.has(event.roomId)) return;
    const full: EphemeralEvent = { ...event, at: event.at ?? Date.now() };
    this.deliver(full);
    this.relay?.(full);
  }

  /** @internal To this process's subscribers only (an event published by another process). */
  deliver(event: EphemeralEvent): void {
    const subs = this.rooms.get(event.roomId);
    if (!subs) return;
    for (const sub of subs) sub.offer(event);
  }

  subscribe(roomId: string, handler: EphemeralHandler, opts: EphemeralSubscribeOptions = {}): () => void {
    let subs = this.rooms.get(roomId);
    if (!subs) {
      subs = new Set();
      this.rooms.set(roomId, subs);
    }
    const sub = new Subscriber(handler, opts.maxQueue ?? 100, this.onError);
    subs.add(sub);
    return () => {
      subs.delete(sub);
      if (subs.size === 0) this.rooms.delete(roomId);
    };
  }
}
