import { connect, createServer, type Server, type Socket } from 'node:net';
import { MAX_MESSAGE_BYTES } from './sip-message.js';
import { type SipDatagramHandler, type SipTarget, type SipTransport, targetKey } from './sip-transport.js';

const IDLE_MS = 5 * 60_000;
const MAX_CONNECTIONS = 2048;

/**
 * SIP over TCP: a listening server plus outbound connections, all keyed by the peer's
 * address so responses and in-dialog requests reuse the socket a peer opened (RFC 3261
 * section 18.2.2). Streams are cut into messages at Content-Length; CRLF keep-alives
 * (RFC 5626) are ignored. A peer that sends garbage or too much unframed data is cut off.
 */
export class TcpTransport implements SipTransport {
  readonly protocol = 'TCP' as const;
  local = { host: '0.0.0.0', port: 0 };
  private server?: Server;
  private readonly connections = new Map<string, Socket>();
  private handler: SipDatagramHandler = () => {};

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.adopt(socket));
      server.maxConnections = MAX_CONNECTIONS;
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        const address = server.address();
        this.local = { host, port: typeof address === 'object' && address ? address.port : port };
        resolve();
      });
    });
  }

  async send(data: Buffer, target: SipTarget): Promise<void> {
    let socket =
      (target.connection ? this.connections.get(target.connection) : undefined) ??
      this.connections.get(targetKey(target));
    if (!socket || socket.destroyed) socket = await this.open(target);
    await new Promise<void>((resolve, reject) => socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  onMessage(handler: SipDatagramHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    for (const s of this.connections.values()) s.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private open(target: SipTarget): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.adopt(socket);
        resolve(socket);
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error('SIP TCP connect timed out')));
    });
  }

  private adopt(socket: Socket): void {
    const key = targetKey({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    this.connections.set(key, socket);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
    const source: SipTarget = {
      transport: 'TCP',
      host: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      connection: key,
    };
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.byteLength === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const next = cutMessage(buffer);
        if (next === 'invalid' || (next === undefined && buffer.byteLength > MAX_MESSAGE_BYTES)) {
          socket.destroy();
          return;
        }
        if (next === undefined) return;
        buffer = buffer.subarray(next.consumed);
        if (next.message) this.handler(next.message, source);
      }
    });
  }
}

/** One message off the front of a stream: undefined when incomplete, 'invalid' when unframeable. */
export function cutMessage(buf: Buffer): { message?: Buffer; consumed: number } | 'invalid' | undefined {
  let start = 0;
  while (start < buf.byteLength && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start > 0) return { consumed: start };
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(head);
  // Over a stream Content-Length is mandatory (RFC 3261 section 18.3).
  if (!m) return 'invalid';
  const length = Number(m[1]);
  if (length > MAX_MESSAGE_BYTES) return 'invalid';
  const total = headEnd + 4 + length;
  if (buf.byteLength < total) return undefined;
  return { message: Buffer.from(buf.subarray(0, total)), consumed: total };
}
