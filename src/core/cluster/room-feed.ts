import type { RoomEvent } from '../../models/index.js';

/** Events read from the store per query when catching up. */
const PAGE = 200;
/** Out-of-order events kept while waiting for the missing ones; past it, the store is read. */
const MAX_EARLY = 1000;

/**
 * One room's committed events in index order, for one process of a cluster. Events arrive from
 * other processes over pub/sub (possibly late, out of order, twice, or never) and from this
 * process's own commits; each index is fanned out here exactly once and in order. A gap that does
 * not close by itself within `gapFillMs`, a reconnect, or a commit about to happen reads the
 * missing events from the store, which is the source of truth.
 */
export class RoomFeed {
  /** Highest index fanned out in this process (or skipped, for blocked events). */
  fanned: number;
  private readonly early = new Map<number, RoomEvent>();
  private reading: Promise<void> = Promise.resolve();
  private gapTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly roomId: string,
    fanned: number,
    private readonly emit: (event: RoomEvent) => void,
    private readonly read: (afterIndex: number, limit: number) => Promise<RoomEvent[]>,
    private readonly onError: (error: unknown) => void,
    private readonly gapFillMs = 100,
  ) {
    this.fanned = fanned;
  }

  /** An event from another process. */
  offer(event: RoomEvent): void {
    if (this.closed || event.index <= this.fanned) return;
    if (event.index !== this.fanned + 1) {
      if (this.early.size >= MAX_EARLY) {
        this.early.clear();
        this.catchUp().catch(this.onError);
        return;
      }
      this.early.set(event.index, event);
      this.armGapFill();
      return;
    }
    this.advance(event);
    for (let next = this.early.get(this.fanned + 1); next; next = this.early.get(this.fanned + 1)) {
      this.early.delete(next.index);
      this.advance(next);
    }
    if (!this.early.size) this.disarmGapFill();
  }

  /**
   * This process committed `index` (under the room lock, after a catch-up): the pipeline fans it
   * out itself, right after.
   */
  committedHere(index: number): void {
    if (index <= this.fanned) return;
    this.fanned = index;
    for (const i of this.early.keys()) if (i <= index) this.early.delete(i);
  }

  /** Another process says the room's last index is `index`: read what is missing, if anything. */
  hint(index: number): void {
    if (index > this.fanned) this.catchUp().catch(this.onError);
  }

  /**
   * Read everything after `fanned` from the store and fan it out. Calls are serialised: the next
   * read starts from wherever the previous one (and any pub/sub arrivals) got to.
   */
  catchUp(): Promise<void> {
    const run = this.reading.then(() => this.readAll());
    this.reading = run.catch(() => {});
    return run;
  }

  close(): void {
    this.closed = true;
    this.disarmGapFill();
    this.early.clear();
  }

  private async readAll(): Promise<void> {
    while (!this.closed) {
      const page = await this.read(this.fanned, PAGE);
      for (const event of page) this.offer(event);
      if (page.length < PAGE) return;
    }
  }

  private advance(event: RoomEvent): void {
    this.fanned = event.index;
    try {
      this.emit(event);
    } catch (error) {
      this.onError(error);
    }
  }

  private armGapFill(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.early.size) this.catchUp().catch(this.onError);
    }, this.gapFillMs);
    this.gapTimer.unref();
  }

  private disarmGapFill(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
