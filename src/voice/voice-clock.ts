import { flushHeldWrites } from './held-writes.js';
import type { PacerClock } from './pacer.js';

/**
 * Something a VoiceClock runs at a time: it carries its own links, so scheduling allocates
 * nothing (a pacer schedules itself once per frame, for every call at once).
 */
export interface ClockTask {
  run(): void;
  /** @internal Owned by the clock: the task's place in its millisecond's list. */
  clockSlot?: ClockSlotLinks;
}

/** @internal */
export interface ClockSlotLinks {
  due: number;
  prev: ClockTask | undefined;
  next: ClockTask | undefined;
  scheduled: boolean;
}

/** A setTimer callback wrapped as a task (the PacerClock interface's handle). */
class CallbackTask implements ClockTask {
  clockSlot?: ClockSlotLinks;
  constructor(readonly run: () => void) {}
}

const SLOTS = 4096; // a ring of 1 ms slots: 4 s ahead before a task waits a lap
const MASK = SLOTS - 1;

/**
 * One clock for every call's pacer: a timing wheel of 1 ms slots driven by a single Node
 * timer. Everything due in the same millisecond runs in one timer callback (up to its
 * budget, below), one after the other, so a thousand calls sending a frame every 20 ms cost
 * 50 wake-ups a second instead of fifty thousand timers. What a task sends leaves in one
 * write once it returns (transports hold their writes, `held-writes.ts`). Adding and
 * cancelling are O(1) and allocate nothing for tasks that bring their own links
 * (`schedule`). Time is performance.now().
 *
 * One callback runs tasks for at most `budgetMs`, their socket writes included, then goes on
 * in the loop's next check phase, after the loop has read its sockets and run its other
 * timers. Replies that start together (callers in lockstep) fall due together: their sends
 * would otherwise hold the loop for tens of milliseconds. A pacer runs ahead of playback
 * (100 ms on WebSocket), so a send a few ms late is not heard.
 */
export class VoiceClock implements PacerClock {
  private readonly heads: (ClockTask | undefined)[] = new Array(SLOTS);
  private readonly tails: (ClockTask | undefined)[] = new Array(SLOTS);
  private pending = 0;
  /** Slots up to this millisecond have run. */
  private ranUntil = Math.floor(performance.now());
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private firing = false;
  /** A slot the last callback left unfinished (over budget), and its continuation queued. */
  private partial: number | undefined;
  private continuing = false;
  private readonly tick = () => this.fire();
  private readonly resume = () => {
    this.continuing = false;
    this.fire();
  };

  /** @param budgetMs Task time per callback before the loop gets its turn (see the class). */
  constructor(private readonly budgetMs = 2) {}

  now(): number {
    return performance.now();
  }

  /** Run `task` in `delayMs` (rounded up to the next millisecond); rescheduling moves it. */
  schedule(task: ClockTask, delayMs: number): void {
    const links = (task.clockSlot ??= { due: 0, prev: undefined, next: undefined, scheduled: false });
    if (links.scheduled) this.unlink(links);
    // Idle since long ago: the slots in between hold nothing, start from now.
    if (this.pending === 0 && !this.firing)
      this.ranUntil = Math.max(this.ranUntil, Math.floor(this.now()) - 1);
    // Never in a slot that already ran: that one would only come round again a lap later.
    const due = Math.max(Math.ceil(this.now() + Math.max(0, delayMs)), this.ranUntil + 1);
    links.due = due;
    links.scheduled = true;
    const slot = due & MASK;
    const tail = this.tails[slot];
    links.prev = tail;
    links.next = undefined;
    if (tail) tail.clockSlot!.next = task;
    else this.heads[slot] = task;
    this.tails[slot] = task;
    this.pending++;
    // While firing (or about to go on), the end of the run arms for whatever is next.
    if (due < this.armedFor && !this.firing && !this.continuing) this.arm(due);
  }

  cancel(task: ClockTask): void {
    const links = task.clockSlot;
    if (links?.scheduled) this.unlink(links);
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const task = new CallbackTask(fn);
    this.schedule(task, delayMs);
    return task;
  }

  clearTimer(handle: unknown): void {
    if (handle instanceof CallbackTask) this.cancel(handle);
  }

  /** Tasks waiting to run. */
  get pendingTasks(): number {
    return this.pending;
  }

  private unlink(links: ClockSlotLinks): void {
    const slot = links.due & MASK;
    if (links.prev) links.prev.clockSlot!.next = links.next;
    else this.heads[slot] = links.next;
    if (links.next) links.next.clockSlot!.prev = links.prev;
    else this.tails[slot] = links.prev;
    links.prev = links.next = undefined;
    links.scheduled = false;
    this.pending--;
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(this.tick, Math.max(0, due - this.now()));
    // Media timers never keep a process alive on their own: sockets and sessions do.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    // Node may wake a little early: anything due within half a millisecond runs now.
    const until = Math.floor(this.now() + 0.5);
    const deadline = performance.now() + this.budgetMs;
    this.firing = true;
    // First what the last callback left of its slot.
    let done = this.partial === undefined || this.runSlot(this.partial, deadline);
    if (done) this.partial = undefined;
    // A loop stalled for more than a lap visits each slot once (their due tasks all run).
    for (
      let ms = Math.max(this.ranUntil + 1, until - SLOTS + 1);
      done && ms <= until && this.pending > 0;
      ms++
    ) {
      // Marked as run first: a task scheduled from inside goes to a later slot, not this one.
      this.ranUntil = ms;
      done = this.runSlot(ms, deadline);
      if (!done) this.partial = ms;
    }
    if (done) this.ranUntil = Math.max(this.ranUntil, until);
    this.firing = false;
    if (!done) {
      this.continuing = true;
      setImmediate(this.resume);
    } else if (this.pending > 0) this.arm(this.nextDue());
  }

  /** Runs the slot's due tasks; false when the budget ran out with some left. */
  private runSlot(ms: number, deadline: number): boolean {
    const slot = ms & MASK;
    for (;;) {
      // Always from the head: a task may cancel or move others of its slot while it runs.
      // Tasks a lap (or more) ahead share the slot and stay; new ones go to later slots.
      let task = this.heads[slot];
      while (task && task.clockSlot!.due > ms) task = task.clockSlot!.next;
      if (!task) return true;
      if (performance.now() >= deadline) return false;
      this.unlink(task.clockSlot!);
      try {
        task.run();
      } catch {
        // A failing task must not stop the others due with it (tasks report their own errors).
      }
      // Its sockets' writes go now, inside the budget: held to the end of the callback, a
      // slice of 500 calls' sends was followed by 500 writes (7-8 ms) the budget never saw.
      flushHeldWrites();
    }
  }

  /** The earliest due time among pending tasks (the wheel is scanned from now on). */
  private nextDue(): number {
    let best = Number.POSITIVE_INFINITY;
    for (let ms = this.ranUntil + 1; ms <= this.ranUntil + SLOTS; ms++) {
      let task = this.heads[ms & MASK];
      while (task) {
        const due = task.clockSlot!.due;
        if (due < best) best = due;
        task = task.clockSlot!.next;
      }
      if (best <= ms) return best; // nothing in a later slot can be earlier
    }
    return best;
  }
}

/** The clock voice channels pace on unless given another: one per process. */
export const sharedVoiceClock = new VoiceClock();
