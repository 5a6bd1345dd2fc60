/**
 * RTCP (RFC 3550 section 6): the compound packets we send (SR or RR, then SDES CNAME,
 * optionally BYE) and a parser for what peers send. Parsing never throws: a malformed
 * compound packet yields the packets before the damage.
 */

export interface ReportBlock {
  ssrc: number;
  /** 0..1 */
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in the sender's RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR from us they saw (0: none). */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; cname?: string }
  | { type: 'bye'; ssrcs: number[] }
  | { type: 'other'; packetType: number };

const SR = 200;
const RR = 201;
const SDES = 202;
const BYE = 203;
const NTP_EPOCH_OFFSET = 2208988800; // seconds from 1900 to 1970

/** Wall clock as NTP (seconds since 1900, 32-bit fraction). */
export function ntpNow(nowMs = Date.now()): { seconds: number; fraction: number } {
  const seconds = Math.floor(nowMs / 1000) + NTP_EPOCH_OFFSET;
  const fraction = Math.floor(((nowMs % 1000) / 1000) * 2 ** 32);
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (what LSR carries). */
export function ntpMiddle(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

export interface CompoundOptions {
  ssrc: number;
  cname: string;
  /** Present when we sent RTP since the last report: an SR, else an RR. */
  sender?: SenderInfo;
  reports: ReportBlock[];
  bye?: boolean;
}

export function buildCompound(o: CompoundOptions): Buffer {
  const parts: Buffer[] = [];
  const blocks = o.reports.slice(0, 31);
  if (o.sender) {
    const b = Buffer.alloc(28 + blocks.length * 24);
    header(b, blocks.length, SR);
    b.writeUInt32BE(o.ssrc >>> 0, 4);
    b.writeUInt32BE(o.sender.ntpSeconds >>> 0, 8);
    b.writeUInt32BE(o.sender.ntpFraction >>> 0, 12);
    b.writeUInt32BE(o.sender.rtpTimestamp >>> 0, 16);
    b.writeUInt32BE(o.sender.packetCount >>> 0, 20);
    b.writeUInt32BE(o.sender.octetCount >>> 0, 24);
    for (const [i, r] of blocks.entries()) writeBlock(b, 28 + i * 24, r);
    parts.push(b);
  } else {
    const b = Buffer.alloc(8 + blocks.length * 24);
    header(b, blocks.length, RR);
    b.writeUInt32BE(o.ssrc >>> 0, 4);
    for (const [i, r] of blocks.entries()) writeBlock(b, 8 + i * 24, r);
    parts.push(b);
  }
  parts.push(sdes(o.ssrc, o.cname));
  if (o.bye) {
    const b = Buffer.alloc(8);
    header(b, 1, BYE);
    b.writeUInt32BE(o.ssrc >>> 0, 4);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function header(b: Buffer, count: number, type: number): void {
  b[0] = 0x80 | (count & 0x1f);
  b[1] = type;
  b.writeUInt16BE(b.byteLength / 4 - 1, 2);
}

function writeBlock(b: Buffer, at: number, r: ReportBlock): void {
  b.writeUInt32BE(r.ssrc >>> 0, at);
  const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost));
  b.writeUInt32BE(
    ((Math.min(255, Math.floor(r.fractionLost * 256)) << 24) | (lost & 0xffffff)) >>> 0,
    at + 4,
  );
  b.writeUInt32BE(r.extendedHighestSeq >>> 0, at + 8);
  b.writeUInt32BE(Math.max(0, Math.floor(r.jitter)) >>> 0, at + 12);
  b.writeUInt32BE(r.lastSr >>> 0, at + 16);
  b.writeUInt32BE(Math.max(0, Math.floor(r.delaySinceLastSr)) >>> 0, at + 20);
}

function sdes(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname.slice(0, 255), 'utf8');
  // SSRC, CNAME item (type 1, length, text), end item, padded to 32 bits.
  const body = 4 + 2 + text.byteLength + 1;
  const b = Buffer.alloc(4 + Math.ceil(body / 4) * 4);
  header(b, 1, SDES);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b[8] = 1;
  b[9] = text.byteLength;
  text.copy(b, 10);
  return b;
}

function readBlock(v: DataView, at: number): ReportBlock {
  const word = v.getUint32(at + 4);
  let lost = word & 0xffffff;
  if (lost & 0x800000) lost -= 0x1000000;
  return {
    ssrc: v.getUint32(at),
    fractionLost: (word >>> 24) / 256,
    cumulativeLost: lost,
    extendedHighestSeq: v.getUint32(at + 8),
    jitter: v.getUint32(at + 12),
    lastSr: v.getUint32(at + 16),
    delaySinceLastSr: v.getUint32(at + 20),
  };
}

/** Splits a compound RTCP packet; returns null when the first packet is not RTCP at all. */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] | null {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: RtcpPacket[] = [];
  let at = 0;
  while (at + 4 <= buf.byteLength) {
    const b0 = buf[at];
    if (b0 >> 6 !== 2) break;
    const count = b0 & 0x1f;
    const type = buf[at + 1];
    const len = (v.getUint16(at + 2) + 1) * 4;
    if (at + len > buf.byteLength) break;
    if (type === SR && len >= 28 + count * 24) {
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readBlock(v, at + 28 + i * 24));
      out.push({
        type: 'sr',
        ssrc: v.getUint32(at + 4),
        sender: {
          ntpSeconds: v.getUint32(at + 8),
          ntpFraction: v.getUint32(at + 12),
          rtpTimestamp: v.getUint32(at + 16),
          packetCount: v.getUint32(at + 20),
          octetCount: v.getUint32(at + 24),
        },
        reports,
      });
    } else if (type === RR && len >= 8 + count * 24) {
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readBlock(v, at + 8 + i * 24));
      out.push({ type: 'rr', ssrc: v.getUint32(at + 4), reports });
    } else if (type === SDES) {
      out.push({ type: 'sdes', cname: readCname(buf, at + 8, at + len) });
    } else if (type === BYE) {
      const ssrcs: number[] = [];
      for (let i = 0; i < count && at + 8 + i * 4 <= at + len; i++) ssrcs.push(v.getUint32(at + 4 + i * 4));
      out.push({ type: 'bye', ssrcs });
    } else {
      out.push({ type: 'other', packetType: type });
    }
    at += len;
  }
  return out.length === 0 ? null : out;
}

function readCname(buf: Uint8Array, from: number, end: number): string | undefined {
  let at = from;
  while (at + 2 <= end && buf[at] !== 0) {
    const len = buf[at + 1];
    if (buf[at] === 1 && at + 2 + len <= end)
      return Buffer.from(buf.subarray(at + 2, at + 2 + len)).toString('utf8');
    at += 2 + len;
  }
  return undefined;
}
