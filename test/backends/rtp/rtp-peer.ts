import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'vitest';
import {
  parseRtcp,
  parseRtp,
  type RtcpPacket,
  type RtpPacket,
  serializeRtp,
} from '../../../src/backends/rtp/index.js';

export interface Received {
  packet: RtpPacket;
  at: number;
  from: number;
}

/** The far end of a call, hand-driven: a raw UDP socket pair that records what arrives. */
export class RawRtpPeer {
  readonly received: Received[] = [];
  readonly rtcp: RtcpPacket[][] = [];
  private constructor(
    readonly socket: Socket,
    readonly rtcpSocket: Socket,
  ) {
    socket.on('message', (buf, rinfo) => {
      const r = parseRtp(buf);
      if (r.ok) this.received.push({ packet: r.packet, at: performance.now(), from: rinfo.port });
    });
    rtcpSocket.on('message', (buf) => {
      const p = parseRtcp(buf);
      if (p) this.rtcp.push(p);
    });
  }

  static async open(): Promise<RawRtpPeer> {
    // Even/odd neighbours, as a phone would bind them (retry until the pair is free).
    for (;;) {
      const a = await bind(0);
      const port = a.address().port;
      if (port % 2 === 0) {
        const b = await bind(port + 1).catch(() => undefined);
        if (b) return new RawRtpPeer(a, b);
      }
      a.close();
    }
  }

  get port(): number {
    return this.socket.address().port;
  }

  sendRaw(buf: Uint8Array, port: number, socket = this.socket): void {
    socket.send(buf, port, '127.0.0.1');
  }

  send(port: number, p: Partial<RtpPacket> & { payload: Uint8Array }): void {
    this.sendRaw(
      serializeRtp({ marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0x1234, ...p }),
      port,
    );
  }

  sendRtcp(buf: Uint8Array, port: number): void {
    this.rtcpSocket.send(buf, port, '127.0.0.1');
  }

  audio(pt: number): RtpPacket[] {
    return this.received.filter((r) => r.packet.payloadType === pt).map((r) => r.packet);
  }

  close(): void {
    this.socket.close();
    this.rtcpSocket.close();
  }
}

function bind(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

/** One talkspurt of G.711 packets: a marker on the first only, sequence +1 and timestamp +160 each. */
export function expectOneTalkspurt(packets: RtpPacket[]): void {
  expect(packets[0]!.marker).toBe(true);
  expect(packets.slice(1).some((p) => p.marker)).toBe(false);
  for (let i = 1; i < packets.length; i++) {
    expect((packets[i]!.sequenceNumber - packets[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    expect((packets[i]!.timestamp - packets[i - 1]!.timestamp) >>> 0).toBe(160);
  }
}
