import { type PacerClock, systemClock } from '../../voice/pacer.js';

/**
 * Inbound reordering/jitter buffer for one RTP source. Packets are released in sequence
 * order as soon as they are contiguous (no added latency on a clean network); when one is
 * missing, later packets wait up to the current depth for it, then it is declared lost and
 * the caller conceals it. Duplicates and packets later than their slot are dropped.
 *
 * The depth adapts: it grows to cover the lateness of packets that filled a gap (and jumps
 * when a packet arrives after its slot was concealed), and decays slowly back toward the
 * minimum while the network is clean.
 */
export interface JitterBufferOptions {
  /** Smallest wait for a missing packet (default 20 ms). */
  minDepthMs?: number;
  /** Largest wait (default 200 ms). */
  maxDepthMs?: number;
  /** Starting wait (default 40 ms). */
  initialDepthMs?: number;
  /** Packets held at most; past it the oldest gap is declared lost (default 50). */
  maxPackets?: number;
  clock?: PacerClock;
}

export interface JitterEntry<T> {
  seq: number;
  timestamp: number;
  item: T;
}

export interface JitterBufferStats {
  duplicates: number;
  late: number;
  reordered: number;
  lost: number;
  resyncs: number;
  depthMs: number;
  held: number;
}

export interface JitterBufferSink<T> {
  release(entry: JitterEntry<T>): void;
  /** One packet never came in time: conceal one frame. */
  lost(seq: number): void;
}

// How many slots ahead of the expected one a packet may land before we resynchronise.
const MAX_AHEAD = 500;
// Longest run of lost packets concealed one by one.
const MAX_CONCEALED_RUN = 10;
// Depth decays by this factor per clean second.
const DECAY_PER_SECOND = 0.9;

export class JitterBuffer<T> {
  private readonly minDepth: number;
  private readonly maxDepth: number;
  private readonly maxPackets: number;
  private readonly clock: PacerClock;
  private readonly held = new Map<number, JitterEntry<T> & { arrivedAt: number }>();
  private next: number | undefined; // extended sequence number expected next
  private depth: number;
  private lastDecayAt = 0;
  private timer: unknown;
  private closed = false;
  readonly counters = { duplicates: 0, late: 0, reordered: 0, lost: 0, resyncs: 0 };

  constructor(
    private readonly sink: JitterBufferSink<T>,
    opts: JitterBufferOptions = {},
  ) {
    this.minDepth = opts.minDepthMs ?? 20;
    this.maxDepth = Math.max(this.minDepth, opts.maxDepthMs ?? 200);
    this.depth = Math.min(this.maxDepth, Math.max(this.minDepth, opts.initialDepthMs ?? 40));
    this.maxPackets = opts.maxPackets ?? 50;
    this.clock = opts.clock ?? systemClock;
  }

  get depthMs(): number {
    return this.depth;
  }

  stats(): JitterBufferStats {
    return { ...this.counters, depthMs: this.depth, held: this.held.size };
  }

  insert(seq16: number, timestamp: number, item: T): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.decay(now);
    if (this.next === undefined) this.next = seq16;
    const ext = this.extend(seq16);
    const ahead = ext - this.next;
    if (ahead < 0) {
      // Its slot is gone (released or concealed): it came later than our depth allowed.
      this.counters.late++;
      this.depth = Math.min(this.maxDepth, this.depth + 20);
      return;
    }
    if (ahead > MAX_AHEAD) {
      // A jump no reordering explains (restarted sender): start over from here.
      this.counters.resyncs++;
      this.held.clear();
      this.next = ext;
    } else if (this.held.has(ext)) {
      this.counters.duplicates++;
      return;
    }
    if (ahead > 0 || this.held.size > 0) {
      // Filling a gap: how long it kept later packets waiting tells us the depth we need.
      const waitedFor = this.oldestArrival();
      if (ahead === 0 && waitedFor !== undefined) {
        this.counters.reordered++;
        const needed = now - waitedFor + 10;
        if (needed > this.depth) this.depth = Math.min(this.maxDepth, needed);
      }
    }
    this.held.set(ext, { seq: ext, timestamp, item, arrivedAt: now });
    this.drain();
  }

  /** Release everything held (declaring gaps lost), e.g. at the end of a call or a re-INVITE. */
  flush(): void {
    while (this.held.size > 0) this.step(true);
  }

  /** Forget everything without releasing (new source). */
  reset(): void {
    this.cancelTimer();
    this.held.clear();
    this.next = undefined;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private extend(seq16: number): number {
    const base = this.next!;
    let ext = (base & ~0xffff) + seq16;
    if (ext - base > 0x8000) ext -= 0x10000;
    else if (base - ext > 0x8000) ext += 0x10000;
    return ext;
  }

  private oldestArrival(): number | undefined {
    let oldest: number | undefined;
    for (const e of this.held.values())
      if (oldest === undefined || e.arrivedAt < oldest) oldest = e.arrivedAt;
    return oldest;
  }

  private firstHeld(): number {
    let first = Number.POSITIVE_INFINITY;
    for (const seq of this.held.keys()) if (seq < first) first = seq;
    return first;
  }

  private drain(): void {
    this.cancelTimer();
    for (;;) {
      if (this.held.size === 0) return;
      const now = this.clock.now();
      if (this.held.has(this.next!)) {
        this.step(false);
        continue;
      }
      const oldest = this.oldestArrival()!;
      const deadline = oldest + this.depth;
      if (now >= deadline || this.held.size >= this.maxPackets) {
        // A long outage: conceal its last frames only (the rest is counted), so a burst of
        // concealment never outgrows what a listener could use.
        const gap = this.firstHeld() - this.next!;
        if (gap > MAX_CONCEALED_RUN) {
          this.counters.lost += gap - MAX_CONCEALED_RUN;
          this.next = this.firstHeld() - MAX_CONCEALED_RUN;
        }
        this.step(true);
        continue;
      }
      this.timer = this.clock.setTimer(() => {
        this.timer = undefined;
        this.drain();
      }, deadline - now);
      return;
    }
  }

  /** Releases the expected slot: the packet if held, else a loss (when `force`). */
  private step(force: boolean): void {
    const slot = this.next!;
    const entry = this.held.get(slot);
    if (entry) {
      this.held.delete(slot);
      this.next = slot + 1;
      this.sink.release(entry);
    } else if (force) {
      this.next = slot + 1;
      this.counters.lost++;
      this.sink.lost(slot);
    }
  }

  private decay(now: number): void {
    if (this.lastDecayAt === 0) this.lastDecayAt = now;
    const elapsed = now - this.lastDecayAt;
    if (elapsed < 1000) return;
    this.lastDecayAt = now;
    const factor = DECAY_PER_SECOND ** (elapsed / 1000);
    this.depth = Math.max(this.minDepth, this.minDepth + (this.depth - this.minDepth) * factor);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
