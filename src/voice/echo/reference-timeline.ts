/** Resolution of the reference power kept for echo prediction. */
const BIN_MS = 5;

/**
 * What the caller hears, on the session's clock: reference samples stored at the absolute
 * sample position at which they are played (sample = ms * rate / 1000), so the echo
 * canceller can read "what was playing D ms before this microphone sample" whatever the
 * pace at which the TTS produced it. Positions never written (nothing playing) read as
 * silence, which is what the speaker played then.
 */
export class ReferenceTimeline {
  readonly binSamples: number;
  private readonly ring: Int16Array;
  /** Mean square (full scale = 1) of each BIN_MS bin, indexed like the ring. */
  private readonly binPower: Float64Array;
  /** First position not written yet; everything in [end - capacity, end) is in the ring. */
  private end = 0;
  /** Where the last write ended: a frame played right after it continues there. */
  private lastWriteEnd: number | undefined;

  constructor(
    readonly sampleRate: number,
    capacityMs: number,
    /** A frame arriving within this of the previous one's end continues it (callback jitter). */
    private readonly toleranceMs = 40,
  ) {
    this.binSamples = Math.max(1, Math.round((sampleRate * BIN_MS) / 1000));
    const bins = Math.max(1, Math.ceil((sampleRate * capacityMs) / 1000 / this.binSamples));
    this.ring = new Int16Array(bins * this.binSamples);
    this.binPower = new Float64Array(bins);
  }

  /** The position just past the newest reference sample. */
  get writtenUntil(): number {
    return this.end;
  }

  /**
   * A frame that starts playing at `position`. When the previous frame's end is close, the
   * frame is laid right after it: a transport plays a burst back to back, and timer jitter
   * must not open gaps or overlaps in the reference. A caller that knows exactly when the
   * frame plays (a pacer's playout model) passes a tolerance near zero, so a frame that
   * plays on arrival after an underrun is not pulled back onto the previous one. Returns
   * where it was placed.
   */
  write(samples: Int16Array, position: number, toleranceMs = this.toleranceMs): number {
    const tolerance = (this.sampleRate * toleranceMs) / 1000;
    const last = this.lastWriteEnd;
    // Ahead of the clock is fine (a burst plays out later); a gap means playback had stopped.
    const at = Math.max(0, last !== undefined && position <= last + tolerance ? last : Math.round(position));
    this.store(samples, at);
    this.lastWriteEnd = at + samples.length;
    return at;
  }

  /** Reads [from, from + out.length) into `out`; what was never written (or was overwritten) is silence. */
  read(out: Int16Array, from: number): void {
    const cap = this.ring.length;
    const oldest = this.end - cap;
    for (let i = 0; i < out.length; i++) {
      const p = from + i;
      out[i] = p >= this.end || p < oldest || p < 0 ? 0 : this.ring[p % cap];
    }
  }

  /**
   * The loudest the reference was (mean square per BIN_MS bin, full scale = 1) over
   * [from, to): what an echo arriving with an uncertain delay could be driven by.
   */
  peakPower(from: number, to: number): number {
    const bin = this.binSamples;
    const nBins = this.binPower.length;
    const first = Math.max(Math.floor(from / bin), Math.ceil((this.end - this.ring.length) / bin), 0);
    const last = Math.min(Math.ceil(to / bin), Math.ceil(this.end / bin)) - 1;
    let peak = 0;
    for (let b = first; b <= last; b++) peak = Math.max(peak, this.binPower[b % nBins]);
    return peak;
  }

  /** The mean power (full scale = 1) over the BIN_MS bins overlapping [from, to). */
  meanPower(from: number, to: number): number {
    const bin = this.binSamples;
    const nBins = this.binPower.length;
    const oldest = Math.ceil((this.end - this.ring.length) / bin);
    const newest = Math.ceil(this.end / bin) - 1;
    const first = Math.floor(from / bin);
    const last = Math.ceil(to / bin) - 1;
    if (last < first) return 0;
    let sum = 0;
    for (let b = Math.max(first, oldest, 0); b <= Math.min(last, newest); b++)
      sum += this.binPower[b % nBins];
    return sum / (last - first + 1);
  }

  /** Playback stopped at `position` (barge-in): what was queued after it will never be heard. */
  truncateAt(position: number): void {
    const p = Math.max(0, Math.round(position));
    if (p < this.end) {
      const cap = this.ring.length;
      const from = Math.max(p, this.end - cap);
      for (let q = from; q < this.end; q++) this.ring[q % cap] = 0;
      this.updateBins(from, this.end);
    }
    if (this.lastWriteEnd !== undefined && this.lastWriteEnd > p) this.lastWriteEnd = p;
  }

  reset(): void {
    this.ring.fill(0);
    this.binPower.fill(0);
    this.end = 0;
    this.lastWriteEnd = undefined;
  }

  private store(samples: Int16Array, at: number): void {
    const cap = this.ring.length;
    const to = at + samples.length;
    const newEnd = Math.max(this.end, to);
    const oldest = newEnd - cap;
    // Silence in the gap since the last write (ring slots still hold an older lap's audio).
    for (let q = Math.max(this.end, oldest); q < at; q++) this.ring[q % cap] = 0;
    // Only what stays inside the ring's window is kept.
    for (let i = Math.max(0, oldest - at); i < samples.length; i++) this.ring[(at + i) % cap] = samples[i];
    const oldEnd = this.end;
    this.end = newEnd;
    this.updateBins(Math.max(Math.min(at, oldEnd), oldest), to);
  }

  /** Recomputes the power of every bin overlapping [from, to); positions at or past `end` are silence. */
  private updateBins(from: number, to: number): void {
    const bin = this.binSamples;
    const cap = this.ring.length;
    const nBins = this.binPower.length;
    const oldest = this.end - cap;
    for (let b = Math.max(0, Math.floor(from / bin)); b * bin < to; b++) {
      let sum = 0;
      const start = b * bin;
      for (let q = Math.max(start, oldest); q < Math.min(start + bin, this.end); q++) {
        const v = this.ring[q % cap] / 32768;
        sum += v * v;
      }
      this.binPower[b % nBins] = sum / bin;
    }
  }
}
