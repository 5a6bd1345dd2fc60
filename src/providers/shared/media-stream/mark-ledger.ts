/**
 * Where the caller really is in what we sent: each outbound frame is followed by a named
 * mark, and the carrier echoes a mark once everything before it has been played. What was
 * sent after the last echoed mark is still in the carrier's buffer (or on the network), so a
 * barge-in truncates the model there, not where our own clock guessed.
 *
 * Mark names carry a generation: a clear starts a new one, and echoes of older marks (Twilio
 * and Exotel echo every pending mark when they clear) are ignored.
 */
export class MarkLedger {
  private generation = 0;
  private seq = 0;
  /** Marks sent and not yet echoed, oldest first, with the audio (ms) each one closes. */
  private readonly pending: { name: string; ms: number }[] = [];
  private head = 0;
  private pendingMs = 0;
  /** Audio confirmed played since the ledger was created (ms). */
  heardMs = 0;

  /**
   * `maxPending`: marks remembered at most (default 3000, a minute of 20 ms frames). A carrier
   * that stops echoing (or never does) must not grow memory without end: past the bound the
   * oldest marks are taken as played.
   */
  constructor(
    private readonly prefix = 'rk',
    private readonly maxPending = 3000,
  ) {}

  /** Name the mark that follows `ms` of audio just sent, and remember it. */
  next(ms: number): string {
    const name = `${this.prefix}-${this.generation}-${++this.seq}`;
    this.pending.push({ name, ms });
    this.pendingMs += ms;
    if (this.pending.length - this.head > this.maxPending) this.confirm(this.pending[this.head]!.name);
    return name;
  }

  /** The carrier echoed `name`: everything up to it was played. Returns the ms confirmed (0 if unknown/stale). */
  confirm(name: string): number {
    let confirmed = 0;
    const at = this.indexOf(name);
    if (at < 0) return 0;
    for (let i = this.head; i <= at; i++) confirmed += this.pending[i]!.ms;
    this.head = at + 1;
    this.pendingMs -= confirmed;
    this.heardMs += confirmed;
    this.compact();
    return confirmed;
  }

  /** Sent but not confirmed played (ms). */
  get unconfirmedMs(): number {
    return Math.max(0, this.pendingMs);
  }

  /** Marks waiting for their echo. */
  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  /** Playback was cleared: pending marks will never mean "played". */
  clear(): void {
    this.generation++;
    this.pending.length = 0;
    this.head = 0;
    this.pendingMs = 0;
  }

  /** Is `name` one of ours from the current generation? */
  owns(name: string): boolean {
    return name.startsWith(`${this.prefix}-${this.generation}-`);
  }

  private indexOf(name: string): number {
    if (!this.owns(name)) return -1;
    // Echoes come in order: the match is almost always at the head.
    for (let i = this.head; i < this.pending.length; i++) if (this.pending[i]!.name === name) return i;
    return -1;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
  }
}
