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
  rtcp: { reportsSent: number; reportsReceived: number; remote?: RemoteReception };
}
