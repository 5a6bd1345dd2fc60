/**
 * RTP fixed header (RFC 3550 section 5.1): parse without throwing, serialize into a fresh
 * buffer. Header extensions and CSRCs are skipped on parse (we never send them).
 */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** Why a datagram is not a usable RTP packet (each is counted, never thrown). */
export type RtpRejectReason = 'short' | 'version' | 'padding' | 'extension';

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: RtpRejectReason };

const HEADER = 12;

export function parseRtp(buf: Uint8Array): RtpParseResult {
  if (buf.byteLength < HEADER) return { ok: false, reason: 'short' };
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return { ok: false, reason: 'version' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const csrcCount = b0 & 0x0f;
  let offset = HEADER + csrcCount * 4;
  if (offset > buf.byteLength) return { ok: false, reason: 'short' };
  if (b0 & 0x10) {
    // Header extension: 16-bit profile, 16-bit length in 32-bit words.
    if (offset + 4 > buf.byteLength) return { ok: false, reason: 'extension' };
    offset += 4 + view.getUint16(offset + 2) * 4;
    if (offset > buf.byteLength) return { ok: false, reason: 'extension' };
  }
  let end = buf.byteLength;
  if (b0 & 0x20) {
    const pad = buf[end - 1];
    if (pad === 0 || end - pad < offset) return { ok: false, reason: 'padding' };
    end -= pad;
  }
  const b1 = buf[1];
  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      payload: buf.subarray(offset, end),
    },
  };
}

export function serializeRtp(p: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(HEADER + p.payload.byteLength);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  out.set(p.payload, HEADER);
  return out;
}

/**
 * RTCP and RTP can share a port (RFC 5761): RTCP packet types 200-204 land in the RTP
 * marker+payload-type byte as 72-76 with the marker set, a range RTP payload types avoid.
 */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  return buf.byteLength >= 2 && buf[1] >= 192 && buf[1] <= 223;
}
