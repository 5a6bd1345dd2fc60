import type { JitterBufferStats } from './jitter-buffer.js';
import type { RemoteReception } from './rtcp-reporter.js';
import type { DropReason } from './source-guard.js';

/** A call's media metrics: what we received, what we sent, and what the far end reported. */
export interface RtpStats {
  codec: string;
  payloadType: number;
  localPort: number;
  remote?: { host: string; port: number };
  ssrc: number;
  remoteSsrc?: number;
  packetsReceived: number;
  /** Cumulative loss of the inbound stream (RFC 3550 A.3). */
  packetsLost: number;
  /** Interarrival jitter of the inbound stream (RFC 3550 A.8), milliseconds. */
  jitterMs: number;
  packetsSent: number;
  octetsSent: number;
  framesDelivered: number;
  framesConcealed: number;
  /** Silence frames delivered while the peer sent nothing (so turns can end). */
  framesFilled: number;
  dtmfReceived: number;
  dtmfSent: number;
  /** Packets dropped, per reason (short, version, unknownPayloadType, ssrcChange, flood...). */
  dropped: Partial<Record<DropReason, number>>;
  jitterBuffer: JitterBufferStats;
  /** Regularity of our sending (what the far end's jitter buffer sees from us). */
  outbound: OutboundTiming;
  rtcp: { reportsSent: number; reportsReceived: number; remote?: RemoteReception };
}

/** Upper bounds (ms) of the outbound timing histogram's buckets; the last one catches the rest. */
export const SEND_DEVIATION_BUCKETS_MS = [
  0.5,
  1,
  1.5,
  2,
  2.5,
  3,
  3.5,
  4,
  4.5,
  5,
  6,
  7.5,
  10,
  20,
  50,
  Number.POSITIVE_INFINITY,
];

/**
 * How regularly we put packets on the wire: for each packet after the first of a talkspurt,
 * how far its send time strayed from one packet time after the previous one. A listener's
 * jitter buffer has to absorb this.
 */
export interface OutboundTiming {
  /** Packets whose spacing was measured. */
  intervals: number;
  /** Count per bucket of SEND_DEVIATION_BUCKETS_MS. */
  histogram: number[];
  maxDeviationMs: number;
  /** Send time of the first and last packet of the current talkspurt (monotonic ms). */
  spurtStartMs?: number;
  lastSendMs?: number;
  /** Audio packets sent in the current talkspurt. */
  spurtPackets: number;
}

export function newOutboundTiming(): OutboundTiming {
  return {
    intervals: 0,
    histogram: SEND_DEVIATION_BUCKETS_MS.map(() => 0),
    maxDeviationMs: 0,
    spurtPackets: 0,
  };
}

export function recordSend(t: OutboundTiming, nowMs: number, frameMs: number, spurt: boolean): void {
  if (spurt || t.lastSendMs === undefined) {
    t.spurtStartMs = nowMs;
    t.spurtPackets = 0;
  } else {
    const deviation = Math.abs(nowMs - t.lastSendMs - frameMs);
    t.intervals++;
    t.histogram[SEND_DEVIATION_BUCKETS_MS.findIndex((b) => deviation <= b)]++;
    if (deviation > t.maxDeviationMs) t.maxDeviationMs = deviation;
  }
  t.spurtPackets++;
  t.lastSendMs = nowMs;
}

/** The deviation under which a fraction `q` of the measured intervals fall (a bucket bound). */
export function deviationQuantile(histogram: readonly number[], q: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (total > 0 && seen / total >= q) return SEND_DEVIATION_BUCKETS_MS[i];
  }
  return 0;
}
