/**
 * Receive-side statistics of one RTP source (RFC 3550 appendix A.1, A.3, A.8): extended
 * highest sequence number, cumulative and interval loss, and interarrival jitter. These
 * feed our RTCP receiver report blocks and the per-call metrics.
 */
const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface ReceptionReport {
  /** Fraction lost since the previous report, 0..1. */
  fractionLost: number;
  /** Cumulative packets lost (may go negative with duplicates, as RFC 3550 allows). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
}

export class ReceiverStats {
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private started = false;
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | undefined;
  /** RFC 3550 jitter estimate, in timestamp units (a float; RTCP carries its integer part). */
  jitter = 0;

  constructor(private readonly clockRate: number) {}

  /**
   * Records a packet. Returns false when it belongs to no plausible sequence (a big jump
   * seen once: a restarted or spoofed source); two in a row restart the sequence.
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    if (!this.started) {
      this.init(seq);
      this.started = true;
    } else {
      const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
        this.maxSeq = seq;
      } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        if (seq !== this.badSeq) {
          this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
          return false;
        }
        this.init(seq);
      }
      // else: a duplicate or reordered packet; counted, not a new maximum.
    }
    this.received++;
    // A.8: jitter from the difference in relative transit times.
    const arrival = (arrivalMs / 1000) * this.clockRate;
    const transit = arrival - rtpTimestamp;
    if (this.transit !== undefined) {
      let d = Math.abs(transit - this.transit);
      // Timestamps wrap at 2^32; a wrapped difference is huge, fold it back.
      if (d > 2 ** 31) d = Math.abs(d - 2 ** 32);
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
    return true;
  }

  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.started ? this.extendedMax - this.baseSeq + 1 : 0;
  }

  get cumulativeLost(): number {
    return this.expected - this.received;
  }

  get jitterMs(): number {
    return (this.jitter / this.clockRate) * 1000;
  }

  /** A.3: the report for an RTCP block; moves the interval window forward. */
  report(): ReceptionReport {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0 ? 0 : lostInterval / expectedInterval;
    return {
      fractionLost,
      cumulativeLost: this.cumulativeLost,
      extendedHighestSeq: this.extendedMax,
      jitter: Math.floor(this.jitter),
    };
  }

  private init(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }
}
