import { type Deadline, deadlines } from './deadlines.js';
import { TimeoutError } from './errors.js';
import type { InboundTrace } from './telemetry/inbound-trace.js';

/** What an attempt needs from the pipeline when its deadline passes. */
export interface AttemptOwner {
  /** Tags the deadline (a closing kit ends it at once). */
  readonly owner: object;
  /** The deadline passed before the commit: log it and tell listeners. */
  timedOut(roomId: string, ms: number): void;
}

/**
 * One run's bookkeeping for the pre-commit deadline (`processTimeoutMs`). When it passes before
 * the commit starts, the run is abandoned: the hooks' signal aborts, the locked section lets go
 * of the room lock at once (the hook still running is left behind and can no longer commit),
 * nothing is stored.
 *
 * The deadline is armed only when the run first waits (for the lock, a store read or the
 * hooks). A message that finds its room free and has nothing to wait for reaches its commit
 * in the same turn, where no deadline could fire anyway: it costs no deadline-wheel entry.
 */
export class Attempt {
  expired = false;
  /** The commit started (or the run ended): the deadline no longer applies. */
  private settled = false;
  private controller?: AbortController;
  private deadline?: Deadline;
  /** Races in progress, told `undefined` when the deadline passes. */
  private waiting?: ((value: undefined) => void)[];

  constructor(
    readonly trace: InboundTrace | undefined,
    private readonly roomId: string,
    /** undefined: no deadline (processTimeoutMs Infinity). */
    private readonly ms: number | undefined,
    private readonly owner: AttemptOwner,
  ) {}

  /** Created only when a hook reads it. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /**
   * `work`'s value, or undefined as soon as the deadline passes first (check `expired` after).
   * Arms the deadline if this is the run's first wait.
   */
  guard<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.ms === undefined || this.settled) return work;
    if (this.expired) return Promise.resolve(undefined);
    this.deadline ??= deadlines.add(this.ms, () => this.expire(), this.owner.owner);
    return new Promise<T | undefined>((resolve, reject) => {
      (this.waiting ??= []).push(resolve);
      work.then(resolve, reject);
    });
  }

  /** The commit starts (or the run is over): from here on the event is kept, however slow the store. */
  settle(): void {
    this.settled = true;
    this.deadline?.cancel();
  }

  private expire(): void {
    if (this.settled || this.expired) return;
    const ms = this.ms!;
    this.expired = true;
    this.controller?.abort(new TimeoutError('inbound processing before commit', ms));
    this.owner.timedOut(this.roomId, ms);
    for (const resolve of this.waiting ?? []) resolve(undefined);
  }
}
