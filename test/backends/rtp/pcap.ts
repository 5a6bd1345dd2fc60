import { readFileSync } from 'node:fs';

/** UDP payloads of a classic pcap (Ethernet/IPv4), with their capture times: SIPp's bundled RTP. */
export function readPcapUdp(path: string): { timeMs: number; payload: Buffer }[] {
  const d = readFileSync(path);
  const little = d.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (at: number) => (little ? d.readUInt32LE(at) : d.readUInt32BE(at));
  const link = u32(20);
  if (link !== 1) throw new Error(`pcap link type ${link} not handled`);
  const out: { timeMs: number; payload: Buffer }[] = [];
  for (let at = 24; at + 16 <= d.length; ) {
    const sec = u32(at);
    const usec = u32(at + 4);
    const len = u32(at + 8);
    const frame = d.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    const ip = frame.subarray(14);
    if (ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 15) * 4);
    out.push({
      timeMs: sec * 1000 + usec / 1000,
      payload: Buffer.from(udp.subarray(8, udp.readUInt16BE(4))),
    });
  }
  return out;
}

export const SIPP_PCAPS = '/usr/share/sip-tester';
