/**
 * Messages a channel could not send while its provider was down. The kit's retries and
 * circuit breaker decide when a delivery has failed; the outbox then keeps the message and
 * sends it, in order, once the provider answers again, so an outage delays messages instead
 * of losing them. While anything is parked, new messages queue behind it.
 */
import { errorMessage, isRetryable } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { RoomEvent } from '../../models/index.js';

export interface ParkedMessage {
  event: RoomEvent;
  recipient: string;
  parkedAt: number;
  attempts: number;
}

export interface OutboxOptions {
  send(item: ParkedMessage): Promise<void>;
  /** Called when a parked message is given up (non-retryable error, overflow, close). */
  onDrop(item: ParkedMessage, reason: string, error?: unknown): void;
  /** Called after a parked message went out. */
  onSent?(item: ParkedMessage): void;
  /** At most this many parked messages; past it the oldest is dropped (default 1,000). */
  maxParked?: number;
  /** First wait before a resend (default 1 s), doubling up to maxDelayMs (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class Outbox {
  /** Set by the owning channel once it knows its kit's logger. */
  logger: Logger = silentLogger;
  private readonly queue: ParkedMessage[] = [];
  private readonly keys = new Set<string>();
  private timer?: NodeJS.Timeout;
  private delayMs: number;
  private draining = false;
  private closed = false;

  constructor(private readonly opts: OutboxOptions) {
    this.delayMs = opts.baseDelayMs ?? 1_000;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Messages waiting, oldest first (read-only view for tests and the console). */
  pending(): readonly ParkedMessage[] {
    return this.queue;
  }

  park(event: RoomEvent, recipient: string): void {
    if (this.closed) return;
    const key = `${event.id}\u0000${recipient}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.queue.push({ event, recipient, parkedAt: Date.now(), attempts: 0 });
    const max = this.opts.maxParked ?? 1_000;
    while (this.queue.length > max) this.drop(this.queue[0]!, 'outbox_full');
    this.logger.info(
      { eventId: event.id, parked: this.queue.length },
      'message parked until the provider is back',
    );
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const item of [...this.queue]) this.drop(item, 'closed');
  }

  private schedule(): void {
    if (this.timer || this.draining || this.closed || !this.queue.length) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const head = this.queue[0]!;
        head.attempts++;
        try {
          await this.opts.send(head);
        } catch (error) {
          if (isRetryable(error)) {
            this.delayMs = Math.min(this.delayMs * 2, this.opts.maxDelayMs ?? 30_000);
            this.logger.debug(
              { eventId: head.event.id, attempts: head.attempts, err: errorMessage(error) },
              'parked message still failing',
            );
            return;
          }
          this.drop(head, 'rejected', error);
          continue;
        }
        this.remove(head);
        this.delayMs = this.opts.baseDelayMs ?? 1_000;
        this.opts.onSent?.(head);
      }
    } finally {
      this.draining = false;
      this.schedule();
    }
  }

  private drop(item: ParkedMessage, reason: string, error?: unknown): void {
    this.remove(item);
    this.logger.warn(
      { eventId: item.event.id, reason, err: error && errorMessage(error) },
      'parked message dropped',
    );
    this.opts.onDrop(item, reason, error);
  }

  private remove(item: ParkedMessage): void {
    const i = this.queue.indexOf(item);
    if (i !== -1) this.queue.splice(i, 1);
    this.keys.delete(`${item.event.id}\u0000${item.recipient}`);
  }
}
