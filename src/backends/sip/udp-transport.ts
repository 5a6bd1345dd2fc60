import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SipDatagramHandler, SipTarget, SipTransport } from './sip-transport.js';

/** SIP over UDP: one datagram per message, replies from the same socket (symmetric, RFC 3581). */
export class UdpTransport implements SipTransport {
  readonly protocol = 'UDP' as const;
  local = { host: '0.0.0.0', port: 0 };
  private socket?: Socket;
  private handler: SipDatagramHandler = () => {};

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        // A peer's ICMP unreachable surfaces here; the transaction timers handle the loss.
        socket.on('error', () => {});
        this.socket = socket;
        this.local = { host, port: socket.address().port };
        socket.on('message', (data, rinfo) =>
          this.handler(data, { transport: 'UDP', host: rinfo.address, port: rinfo.port }),
        );
        resolve();
      });
    });
  }

  send(data: Buffer, target: SipTarget): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('UDP transport is not listening'));
    return new Promise((resolve, reject) => {
      socket.send(data, target.port, target.host, (error) => (error ? reject(error) : resolve()));
    });
  }

  onMessage(handler: SipDatagramHandler): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
