import { deadlines } from './deadlines.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';

/** How long cursor moves are gathered before one store write (at most this much is re-driven twice). */
export const CURSOR_FLUSH_MS = 20;

/**
 * A room's delivery cursor: the highest index up to which every event has been handled by every
 * channel (delivered, failed for good, or answered). Events finish out of order (a slow AI, a
 * fast socket), so finished indices above the cursor wait in a set until the gap closes.
 *
 * The store copy is written behind, at most once per CURSOR_FLUSH_MS per room: a crash re-drives
 * what the store's cursor had not reached yet, which is at least once by design (receivers drop
 * repeats by event id, and the kit does not ask an AI again for a message it already answered).
 */
export class DeliveryCursor {
  /**
   * The one finished index waiting above the cursor, or -1. One is the common case (a turn's
   * AI reply finishes before the message that asked for it), and a Set that gains and loses
   * one entry per turn reallocates its table every time.
   */
  private waiting = -1;
  /** Finished indices beyond `waiting`, when more than one wait. */
  private readonly finished = new Set<number>();
  private persisted: number;
  private flushing?: Promise<void>;
  private scheduled = false;
  private closed = false;

  constructor(
    private position: number,
    private readonly persist: (index: number) => Promise<void>,
    private readonly logger?: Logger,
  ) {
    this.persisted = position;
  }

  /** Highest index handled in this process (the store may lag by one flush). */
  get index(): number {
    return this.position;
  }

  complete(index: number): void {
    if (this.closed || index <= this.position) return;
    if (index !== this.position + 1) {
      if (this.waiting < 0) this.waiting = index;
      else if (index !== this.waiting) this.finished.add(index);
      return;
    }
    this.position = index;
    for (;;) {
      const next = this.position + 1;
      if (this.waiting === next) this.waiting = -1;
      else if (this.finished.size === 0 || !this.finished.delete(next)) break;
      this.position = next;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      deadlines.add(CURSOR_FLUSH_MS, () => void this.flush());
    }
  }

  /** Write the cursor one last time and stop moving it (the kit is closing). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Write the cursor now. */
  async flush(): Promise<void> {
    this.scheduled = false;
    while (this.flushing) await this.flushing;
    const target = this.position;
    if (target <= this.persisted) return;
    this.flushing = this.persist(target).then(
      () => {
        this.persisted = Math.max(this.persisted, target);
      },
      (error) => {
        // Nothing lost: the next completion (or close) tries again; a crash meanwhile re-drives more.
        this.logger?.warn({ err: errorMessage(error), index: target }, 'could not save the delivery cursor');
      },
    );
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }
}
