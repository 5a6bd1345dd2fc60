import type { RoomEvent } from '../models/index.js';
import type { DeliveryCursor } from './delivery-cursor.js';
import type { RoomState } from './room-state.js';

/** What a fan-out tells the broadcaster when every lane is done with its event. */
export interface FanoutHost {
  afterBroadcast(state: RoomState, event: RoomEvent): void;
  /** A step of the fan-out threw (a listener, a hook registry): logged, never thrown at a lane. */
  fanoutFailed(error: unknown): void;
}

/**
 * One event's fan-out. `delivered` settles when every lane has finished with the event (what
 * processInbound waits for), right after the AFTER_BROADCAST work started; the cursor moves
 * when, in addition, every intelligence channel's reply to it has been handled.
 */
export class Fanout {
  readonly delivered: Promise<void>;
  private resolveDelivered!: () => void;
  /** Lanes still working; one extra until sealed, so an early finisher cannot settle it. */
  private lanes = 1;
  /** Lanes plus replies still being produced; one extra until sealed. */
  private work = 1;

  constructor(
    private readonly host: FanoutHost,
    private readonly state: RoomState,
    private readonly event: RoomEvent,
    /** The cursor when the fan-out started (a cluster takeover replaces the room's). */
    private readonly cursor: DeliveryCursor,
  ) {
    this.delivered = new Promise((resolve) => {
      this.resolveDelivered = resolve;
    });
  }

  add(lane = true): void {
    if (lane) this.lanes++;
    this.work++;
  }

  /** Every lane job is queued. */
  sealed(): void {
    this.laneDone();
  }

  laneDone(): void {
    if (--this.lanes === 0) {
      try {
        this.host.afterBroadcast(this.state, this.event);
      } catch (error) {
        this.host.fanoutFailed(error);
      }
      this.resolveDelivered();
    }
    this.workDone();
  }

  workDone(): void {
    if (--this.work === 0) this.cursor.complete(this.event.index);
  }
}
