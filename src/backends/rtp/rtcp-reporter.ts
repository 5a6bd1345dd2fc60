import type { PacerClock } from '../../voice/pacer.js';
import type { ReceiverStats } from './receiver-stats.js';
import { buildCompound, ntpMiddle, ntpNow, parseRtcp, type ReportBlock } from './rtcp.js';

/** What the far end told us about our stream (from its RR/SR report blocks). */
export interface RemoteReception {
  fractionLost: number;
  cumulativeLost: number;
  jitterMs: number;
  /** Round-trip time from LSR/DLSR (RFC 3550 section 6.4.1), when known. */
  rttMs?: number;
  at: number;
}

export interface RtcpSenderState {
  ssrc: number;
  packetCount: number;
  octetCount: number;
  /** RTP timestamp corresponding to "now" for the SR. */
  rtpTimestampNow(): number;
  /** Whether we sent RTP since the previous report (an SR rather than an RR). */
  sentSinceReport: boolean;
}

export interface RtcpReporterOptions {
  intervalMs: number;
  cname: string;
  clock: PacerClock;
  clockRate: number;
  send(packet: Buffer): void;
  sender(): RtcpSenderState;
  /** Stats of the source we receive, with its SSRC; undefined before any packet. */
  receiver(): { ssrc: number; stats: ReceiverStats } | undefined;
  onReport?(): void;
}

/**
 * The RTCP side of one RTP session: a compound SR/RR + SDES every interval (randomised
 * 0.5-1.5x as RFC 3550 section 6.3.1 asks, so calls started together do not report in
 * lockstep), BYE on close, and the far end's reports parsed into `remote`.
 */
export class RtcpReporter {
  remote?: RemoteReception;
  reportsSent = 0;
  reportsReceived = 0;
  private timer: unknown;
  private lastSr?: { middle: number; at: number };
  private closed = false;

  constructor(private readonly o: RtcpReporterOptions) {
    if (o.intervalMs > 0) this.schedule();
  }

  /** Handles an inbound RTCP datagram; false if it is not RTCP. */
  receive(buf: Uint8Array, nowWallMs = Date.now()): boolean {
    const packets = parseRtcp(buf);
    if (!packets) return false;
    this.reportsReceived++;
    const me = this.o.sender().ssrc;
    for (const p of packets) {
      if (p.type === 'sr')
        this.lastSr = { middle: ntpMiddle(p.sender.ntpSeconds, p.sender.ntpFraction), at: nowWallMs };
      if (p.type !== 'sr' && p.type !== 'rr') continue;
      const block = p.reports.find((r) => r.ssrc === me);
      if (block) this.remote = this.toRemote(block, nowWallMs);
    }
    return true;
  }

  /** Sends a report now (and BYE when closing). */
  sendReport(bye = false, nowWallMs = Date.now()): void {
    const s = this.o.sender();
    const rx = this.o.receiver();
    const reports: ReportBlock[] = [];
    if (rx) {
      const r = rx.stats.report();
      reports.push({
        ssrc: rx.ssrc,
        fractionLost: r.fractionLost,
        cumulativeLost: r.cumulativeLost,
        extendedHighestSeq: r.extendedHighestSeq,
        jitter: r.jitter,
        lastSr: this.lastSr?.middle ?? 0,
        delaySinceLastSr: this.lastSr ? ((nowWallMs - this.lastSr.at) / 1000) * 65536 : 0,
      });
    }
    const ntp = ntpNow(nowWallMs);
    const sender = s.sentSinceReport
      ? {
          ntpSeconds: ntp.seconds,
          ntpFraction: ntp.fraction,
          rtpTimestamp: s.rtpTimestampNow(),
          packetCount: s.packetCount,
          octetCount: s.octetCount,
        }
      : undefined;
    s.sentSinceReport = false;
    try {
      this.o.send(buildCompound({ ssrc: s.ssrc, cname: this.o.cname, sender, reports, bye }));
      this.reportsSent++;
    } catch {
      // A closed socket at teardown: nothing to report to.
    }
    this.o.onReport?.();
  }

  close(sendBye: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    if (sendBye) this.sendReport(true);
  }

  private schedule(): void {
    const delay = this.o.intervalMs * (0.5 + Math.random());
    this.timer = this.o.clock.setTimer(() => {
      if (this.closed) return;
      this.sendReport();
      this.schedule();
    }, delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private toRemote(block: ReportBlock, nowWallMs: number): RemoteReception {
    let rttMs: number | undefined;
    if (block.lastSr !== 0) {
      const ntp = ntpNow(nowWallMs);
      const arrival = ntpMiddle(ntp.seconds, ntp.fraction);
      const rtt = (arrival - block.lastSr - block.delaySinceLastSr) >>> 0;
      // Units of 1/65536 s; a negative (wrapped) value means clocks disagree: unknown.
      if (rtt < 65536 * 10) rttMs = (rtt / 65536) * 1000;
    }
    return {
      fractionLost: block.fractionLost,
      cumulativeLost: block.cumulativeLost,
      jitterMs: (block.jitter / this.o.clockRate) * 1000,
      rttMs,
      at: nowWallMs,
    };
  }
}
