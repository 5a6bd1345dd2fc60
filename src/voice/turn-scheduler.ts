/**
 * Spreads bursts of turn work over event-loop iterations. A thousand callers who stop
 * talking on the same tick would otherwise run a thousand transcript -> room -> reply chains
 * back to back while no pacer timer can fire: every call's audio stalls. Work that is not
 * per-frame (a turn ending, a reply starting) first awaits `slot()`. Slots are granted one
 * per callback in the loop's check phase, so each turn's continuation runs (and is timed)
 * before the next; once an iteration has spent its budget the rest wait for the next one,
 * after the loop has run its timers and read its sockets. One turn alone waits well under a
 * millisecond, and a burst is worked off at full speed with short breaks.
 */
export class TurnScheduler {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  /** Continuations of turns already under way (a reply starting): served before new turns. */
  private readonly urgent: (() => void)[] = [];
  private pumping = false;
  /** Grants queued for the coming check phase, and when its first one ran. */
  private inFlight = 0;
  private phaseStart = -1;

  /**
   * @param budgetMs Turn work per loop iteration before timers and I/O get their turn (well
   *   under the pacers' lead, so audio already sent covers the pause). 2 ms: with 4, 500
   *   callers in lockstep kept the loop's p99 delay at 23-31 ms; with 2, at 17-23 ms, and
   *   their replies started no later.
   * @param batch Grants queued per iteration at most (each checks the budget when it runs).
   */
  constructor(
    private readonly budgetMs = 2,
    private readonly batch = 64,
  ) {}

  /**
   * Resolves when this turn may run, in order of asking. `continuation`: the next step of a
   * turn that already had its slot (its reply starting) goes before turns not yet begun, so
   * in a burst each caller's reply starts right after their own turn, not after everyone's.
   */
  slot(continuation = false): Promise<void> {
    return new Promise((resolve) => {
      if (continuation) this.urgent.push(resolve);
      else this.waiting.push(resolve);
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  /** Turns waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head + this.urgent.length;
  }

  /** Once per iteration: queue grants for the next check phase, then itself after them. */
  private readonly pump = (): void => {
    this.phaseStart = -1;
    const n = Math.min(this.batch, this.queued) - this.inFlight;
    for (let i = 0; i < n; i++) setImmediate(this.grant);
    if (n > 0) this.inFlight += n;
    if (this.queued > 0) setImmediate(this.pump);
    else this.pumping = false;
  };

  private readonly grant = (): void => {
    this.inFlight--;
    const now = performance.now();
    if (this.phaseStart < 0) this.phaseStart = now;
    // Over budget: leave the rest for the next iteration (the pump queued after us re-queues).
    else if (now - this.phaseStart >= this.budgetMs) return;
    if (this.queued === 0) return;
    // Few at a time (a burst's replies), so shift() stays cheap.
    if (this.urgent.length > 0) {
      this.urgent.shift()!();
      return;
    }
    const resolve = this.waiting[this.head];
    this.waiting[this.head++] = undefined as unknown as () => void;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    resolve();
  };
}

/** One scheduler for every voice channel of the process: bursts are a process-wide matter. */
export const sharedTurnScheduler = new TurnScheduler();
