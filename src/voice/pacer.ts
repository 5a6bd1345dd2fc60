import { ValidationError } from '../core/errors.js';
import { RingQueue } from '../core/ring-queue.js';
import type { AudioFrame } from './types.js';
import type { ClockTask } from './voice-clock.js';

/**
 * The time source a pacer runs on. Injectable so tests drive time by hand (ManualClock)
 * instead of sleeping, and so a transport with its own media clock can substitute it.
 */
export interface PacerClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /**
   * Optional allocation-free timers (VoiceClock): run `task` after `delayMs`, moving it if it
   * was already scheduled. Pacers use these when the clock has them.
   */
  schedule?(task: ClockTask, delayMs: number): void;
  cancel?(task: ClockTask): void;
}

/** Wall clock: performance.now() (monotonic, unlike Date.now()) and setTimeout. */
export const systemClock: PacerClock = {
  now: () => performance.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock that only moves when told to: timers fire in time order inside `advance()`. */
export class ManualClock implements PacerClock {
  private time: number;
  private seq = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.time + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers not fired yet. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward without firing timers: a stalled event loop (they fire late, on the next advance). */
  stall(ms: number): void {
    this.time += ms;
  }

  /** Move time forward by `ms`, firing due timers (each at its own time) on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = target;
  }
}

export type PacerState = 'idle' | 'playing' | 'ending' | 'drained' | 'interrupted';

export interface PacerPosition {
  /** What the listener has heard of this response (the playback clock). */
  playedMs: number;
  /** What was handed to `send` (up to `leadMs` more than played). */
  sentMs: number;
}

export interface PacerDrainResult extends PacerPosition {
  /** True when the response was interrupted (or reset) rather than played to the end. */
  interrupted: boolean;
}

export interface OutboundPacerOptions {
  /** Rate of the PCM pushed and of the frames sent. */
  sampleRate: number;
  /** Called with each frame at (roughly) real time. Frames are views the pacer never reuses. */
  send: (frame: AudioFrame) => void;
  /** Frame length (default 20 ms); the last frame of a response may be shorter. */
  frameMs?: number;
  /** How far sending runs ahead of the playback clock (default 60 ms): jitter headroom vs. latency. */
  leadMs?: number;
  /**
   * Audio sent per wake-up once a response is under way (default one frame, at most the lead):
   * the pacer lets the lead fall by this much, then tops it up with several frames at once,
   * which a transport that corks its socket per tick writes in one syscall. The listener
   * always holds between `leadMs - batchMs` and `leadMs` of audio.
   */
  batchMs?: number;
  clock?: PacerClock;
  /** Called when a frame starts playing at the listener (time-aligned AEC reference). */
  onPlayed?: (frame: AudioFrame, lateMs: number) => void;
  /** `send` threw: the response is interrupted and the error lands here (default: ignored). */
  onError?: (error: unknown) => void;
  /**
   * Send a partial frame without waiting for `end()` once nothing more was pushed for this
   * long, or at once when it is the very start of a response (the answer starts without
   * waiting for a frame to fill). For producers whose audio may stop short of a frame
   * mid-response (realtime providers). Default: partial frames wait for more audio or `end()`.
   */
  partialFlushMs?: number;
}

// Float accumulation of frame durations must not make a due frame look a hair late.
const EPS = 1e-6;

/**
 * Per-session outbound pacer: PCM pushed in any chunk sizes leaves as fixed frames at real
 * time, at most `leadMs` ahead of the listener's playback clock. Keeping the lead small is
 * what makes barge-in stop audio at once: `interrupt()` drops the queue and the client only
 * holds `leadMs` of audio (which the transport clears too).
 *
 * The playback clock assumes the listener plays each frame right after the previous one,
 * or as soon as it arrives after a gap (underrun). One timer per pacer, at most one pending.
 */
export class OutboundPacer {
  readonly sampleRate: number;
  readonly frameMs: number;
  readonly leadMs: number;
  readonly batchMs: number;
  readonly frameSamples: number;
  private readonly clock: PacerClock;
  private readonly opts: OutboundPacerOptions;
  private readonly chunks = new RingQueue<Int16Array>();
  private offset = 0; // read position in the oldest chunk
  private queuedSamples = 0;
  private sentSamples = 0;
  private bufferedUntil = 0; // clock time at which everything sent so far has played
  private lastPushAt = 0; // clock time of the last push (partial-frame flush)
  private frozenPlayedMs: number | undefined; // set by interrupt: playback stopped there
  private readonly unplayed = new RingQueue<{ at: number; frame: AudioFrame }>();
  private timer: unknown;
  /** The pacer's wake-up on clocks with `schedule` (one object for its whole life). */
  private readonly task: ClockTask | undefined;
  private taskScheduled = false;
  /** When the armed wake-up is due (clock time); infinity when none is armed. */
  private wakeDueAt = Number.POSITIVE_INFINITY;
  /** A producer waiting for the queue to drain below a level (`whenQueuedBelow`). */
  private waiter: { samples: number; resolve: () => void } | undefined;
  private currentState: PacerState = 'idle';
  private drainedPromise!: Promise<PacerDrainResult>;
  private resolveDrained!: (r: PacerDrainResult) => void;

  constructor(options: OutboundPacerOptions) {
    this.opts = options;
    this.sampleRate = options.sampleRate;
    this.frameMs = options.frameMs ?? 20;
    this.leadMs = options.leadMs ?? 60;
    this.clock = options.clock ?? systemClock;
    this.frameSamples = Math.round((this.sampleRate * this.frameMs) / 1000);
    if (!Number.isInteger(this.sampleRate) || this.sampleRate <= 0 || this.frameSamples <= 0) {
      throw new ValidationError(
        `pacer needs a positive rate and frame, got ${this.sampleRate} Hz / ${this.frameMs} ms`,
      );
    }
    if (!(this.leadMs >= 0)) throw new ValidationError(`pacer lead must be >= 0, got ${this.leadMs}`);
    this.batchMs = options.batchMs ?? this.frameMs;
    if (!(this.batchMs >= this.frameMs && this.batchMs <= Math.max(this.leadMs, this.frameMs))) {
      throw new ValidationError(
        `pacer batch must be between one frame (${this.frameMs} ms) and the lead (${this.leadMs} ms), got ${this.batchMs}`,
      );
    }
    if (this.clock.schedule) {
      this.task = {
        run: () => {
          this.taskScheduled = false;
          this.pump();
        },
      };
    }
    this.newResponse();
  }

  get state(): PacerState {
    return this.currentState;
  }

  /** Resolves when the ended response has been sent and played, or when it is interrupted/reset. */
  get drained(): Promise<PacerDrainResult> {
    return this.drainedPromise;
  }

  get sentMs(): number {
    return (this.sentSamples / this.sampleRate) * 1000;
  }

  get playedMs(): number {
    if (this.frozenPlayedMs !== undefined) return this.frozenPlayedMs;
    const ahead = Math.max(0, this.bufferedUntil - this.clock.now());
    return Math.max(0, this.sentMs - ahead);
  }

  get queuedMs(): number {
    return (this.queuedSamples / this.sampleRate) * 1000;
  }

  /**
   * Does now what an overdue wake-up would: sends the frames owed and reports the frames
   * that started playing (`onPlayed`). For a reader of the playback reports that must not
   * get ahead of them: after an event-loop stall the loop reads its sockets before it runs
   * its timers, so the microphone frames of the stall met an echo reference that stopped
   * where the stall began, and the echo in them was taken for the caller. Nothing happens
   * unless a wake-up is due.
   */
  catchUp(): void {
    if (this.wakeDueAt > this.clock.now() + EPS) return;
    if (this.currentState !== 'playing' && this.currentState !== 'ending') return;
    this.pump();
  }

  /** Audio is queued or sent but not yet played. */
  get isPlaying(): boolean {
    if (this.currentState !== 'playing' && this.currentState !== 'ending') return false;
    return this.queuedSamples > 0 || this.bufferedUntil > this.clock.now() + EPS;
  }

  /**
   * Queue PCM for the current response. The samples are copied (callers often reuse their
   * buffers) unless `owned`: the caller hands the buffer over and never writes it again.
   * Returns false, dropping the audio, after `end()` or `interrupt()` until `reset()`.
   */
  push(pcm: Int16Array, owned = false): boolean {
    if (this.currentState !== 'idle' && this.currentState !== 'playing') return false;
    if (pcm.length === 0) return true;
    this.currentState = 'playing';
    this.chunks.push(owned ? pcm : pcm.slice());
    this.queuedSamples += pcm.length;
    this.lastPushAt = this.clock.now();
    // On a shared VoiceClock the sending waits for its next callback (within a millisecond):
    // replies that start together then send in the clock's budgeted runs, with the loop
    // reading sockets in between, instead of all inside whatever pushed their first audio.
    if (this.task) this.armTimer(0);
    else this.pump();
    return true;
  }

  /** No more audio for this response: flush the partial last frame, resolve `drained` once played. */
  end(): void {
    if (this.currentState === 'idle') {
      this.currentState = 'drained';
      this.resolveDrained({ playedMs: 0, sentMs: 0, interrupted: false });
    } else if (this.currentState === 'playing') {
      this.currentState = 'ending';
      this.pump();
    }
  }

  /**
   * Stop now: drop everything queued and freeze the playback clock. Returns what the listener
   * heard (`playedMs`) and what was sent; later pushes are ignored until `reset()`.
   */
  interrupt(): PacerPosition {
    const position = { playedMs: this.playedMs, sentMs: this.sentMs };
    if (this.currentState === 'interrupted') return position;
    const finished = this.currentState === 'drained';
    this.frozenPlayedMs = position.playedMs;
    this.dropQueue();
    this.currentState = 'interrupted';
    if (!finished) this.resolveDrained({ ...position, interrupted: true });
    return position;
  }

  /**
   * Resolves once less than `ms` of audio waits to be sent, or the response stops (ended,
   * interrupted, reset): a producer that awaits it between chunks synthesises as the audio
   * plays instead of all at once, so a thousand replies starting together cost no more than
   * spread-out ones. One waiter at a time (a newer call replaces the older, which resolves).
   */
  whenQueuedBelow(ms: number): Promise<void> {
    const samples = (ms * this.sampleRate) / 1000;
    if (this.queuedSamples < samples || (this.currentState !== 'playing' && this.currentState !== 'idle')) {
      return Promise.resolve();
    }
    this.waiter?.resolve();
    return new Promise((resolve) => {
      this.waiter = { samples, resolve };
    });
  }

  /** Start a new response: drops whatever is left of the current one and zeroes the counters. */
  reset(): void {
    if (this.currentState !== 'interrupted' && this.currentState !== 'drained') this.interrupt();
    this.dropQueue();
    this.sentSamples = 0;
    this.bufferedUntil = 0;
    this.frozenPlayedMs = undefined;
    this.currentState = 'idle';
    this.newResponse();
  }

  /** Wakes a producer waiting in `whenQueuedBelow` once it may push again. */
  private releaseWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.queuedSamples >= waiter.samples && this.currentState === 'playing') return;
    this.waiter = undefined;
    waiter.resolve();
  }

  private newResponse(): void {
    this.drainedPromise = new Promise((resolve) => {
      this.resolveDrained = resolve;
    });
  }

  private dropQueue(): void {
    this.cancelTimer();
    this.chunks.clear();
    this.offset = 0;
    this.queuedSamples = 0;
    this.unplayed.clear();
    this.releaseWaiter();
  }

  private cancelTimer(): void {
    this.wakeDueAt = Number.POSITIVE_INFINITY;
    if (this.taskScheduled) {
      this.clock.cancel?.(this.task!);
      this.taskScheduled = false;
    }
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private armTimer(delayMs: number): void {
    this.wakeDueAt = this.clock.now() + delayMs;
    if (this.task) {
      this.clock.schedule!(this.task, delayMs);
      this.taskScheduled = true;
      return;
    }
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.pump();
    }, delayMs);
  }

  private hasFrame(now: number): boolean {
    if (this.queuedSamples >= this.frameSamples) return true;
    if (this.queuedSamples === 0) return false;
    if (this.currentState === 'ending') return true;
    const flushMs = this.opts.partialFlushMs;
    return flushMs !== undefined && (this.sentSamples === 0 || now - this.lastPushAt >= flushMs - EPS);
  }

  /** Sends what the lead allows, fires playback callbacks, then arms the one timer. */
  private pump(): void {
    this.cancelTimer();
    const now = this.clock.now();
    // Underrun (slow producer or a late timer): the listener's buffer ran dry and the next
    // frame plays on arrival. Sending restarts from `now`, so a late timer catches up by
    // at most the lead, never with a burst of everything it missed.
    if (this.bufferedUntil < now) this.bufferedUntil = now;
    const sendWhileAhead = Math.max(0, this.leadMs - this.frameMs) + EPS;
    // A top-up waits until a batch's worth of the lead has played, whatever woke us (the
    // timer, a push, a frame starting to play).
    const wakeWhileAhead = Math.max(0, this.leadMs - this.batchMs) + EPS;
    const topUp = this.bufferedUntil - now <= wakeWhileAhead;
    while (topUp && this.hasFrame(now) && this.bufferedUntil - now <= sendWhileAhead) {
      const frame = this.takeFrame();
      const durationMs = (frame.data.length / this.sampleRate) * 1000;
      if (this.opts.onPlayed) this.unplayed.push({ at: this.bufferedUntil, frame });
      this.bufferedUntil += durationMs;
      this.sentSamples += frame.data.length;
      try {
        this.opts.send(frame);
      } catch (error) {
        this.interrupt();
        this.opts.onError?.(error);
        return;
      }
      // `send` may have interrupted or reset us re-entrantly.
      if (this.currentState !== 'playing' && this.currentState !== 'ending') return;
    }
    this.firePlayed(now);
    this.releaseWaiter();
    if (this.currentState !== 'playing' && this.currentState !== 'ending') return;
    if (this.currentState === 'ending' && this.queuedSamples === 0 && this.bufferedUntil <= now + EPS) {
      this.currentState = 'drained';
      this.resolveDrained({ playedMs: this.sentMs, sentMs: this.sentMs, interrupted: false });
      return;
    }
    let wakeAt = Number.POSITIVE_INFINITY;
    if (this.queuedSamples >= this.frameSamples || (this.currentState === 'ending' && this.queuedSamples > 0))
      wakeAt = this.bufferedUntil - wakeWhileAhead + EPS;
    else if (this.queuedSamples > 0 && this.opts.partialFlushMs !== undefined) {
      // A partial frame goes once the producer paused (and the lead allows).
      wakeAt =
        Math.max(this.lastPushAt + this.opts.partialFlushMs, this.bufferedUntil - sendWhileAhead) + EPS;
    }
    if (this.unplayed.length > 0) wakeAt = Math.min(wakeAt, this.unplayed.peek()!.at);
    if (this.currentState === 'ending' && this.queuedSamples === 0)
      wakeAt = Math.min(wakeAt, this.bufferedUntil);
    // A starving 'playing' pacer needs no timer: the next push pumps.
    if (wakeAt === Number.POSITIVE_INFINITY) return;
    this.armTimer(Math.max(0, wakeAt - now));
  }

  private firePlayed(now: number): void {
    const onPlayed = this.opts.onPlayed;
    if (!onPlayed) return;
    while (this.unplayed.length > 0 && this.unplayed.peek()!.at <= now + EPS) {
      const { frame, at } = this.unplayed.shift()!;
      try {
        // Timers fire late; the listener learns by how much, to place the frame at `at`.
        onPlayed(frame, Math.max(0, now - at));
      } catch (error) {
        this.opts.onError?.(error);
      }
      if (this.currentState !== 'playing' && this.currentState !== 'ending') return;
    }
  }

  /** The next frame: a view when it lies inside one pushed chunk, a copy when it spans two. */
  private takeFrame(): AudioFrame {
    const size = Math.min(this.frameSamples, this.queuedSamples);
    const timestampMs = this.sentMs;
    const first = this.chunks.peek()!;
    let data: Int16Array;
    if (first.length - this.offset >= size) {
      // A chunk of exactly one frame goes as it is (no view to allocate).
      data =
        this.offset === 0 && first.length === size ? first : first.subarray(this.offset, this.offset + size);
      this.offset += size;
      if (this.offset === first.length) this.shiftChunk();
    } else {
      data = new Int16Array(size);
      let filled = 0;
      while (filled < size) {
        const chunk = this.chunks.peek()!;
        const n = Math.min(size - filled, chunk.length - this.offset);
        data.set(chunk.subarray(this.offset, this.offset + n), filled);
        filled += n;
        this.offset += n;
        if (this.offset === chunk.length) this.shiftChunk();
      }
    }
    this.queuedSamples -= size;
    return { data, sampleRate: this.sampleRate, channels: 1, timestampMs };
  }

  private shiftChunk(): void {
    this.chunks.shift();
    this.offset = 0;
  }
}
