import { createSocket, type Socket } from 'node:dgram';

/**
 * A minimal STUN server (RFC 5389 Binding only) on 127.0.0.1 that answers every request with
 * a chosen mapped address, as a STUN server on the internet reports a NAT's public side.
 */
export class FakeStunServer {
  requests = 0;
  private constructor(
    private readonly socket: Socket,
    private readonly mapped: { host: string; port: number },
  ) {
    socket.on('message', (msg, from) => {
      if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== 0x2112a442) return;
      this.requests++;
      const response = Buffer.alloc(32);
      response.writeUInt16BE(0x0101, 0); // Binding success
      response.writeUInt16BE(12, 2);
      msg.copy(response, 4, 4, 20); // cookie + transaction id
      response.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
      response.writeUInt16BE(8, 22);
      response.writeUInt8(0x01, 25); // IPv4
      response.writeUInt16BE(this.mapped.port ^ 0x2112, 26);
      const ip = this.mapped.host.split('.').map(Number);
      const cookie = [0x21, 0x12, 0xa4, 0x42];
      for (let i = 0; i < 4; i++) response.writeUInt8(ip[i]! ^ cookie[i]!, 28 + i);
      socket.send(response, from.port, from.address);
    });
  }

  static async start(mapped: { host: string; port: number }): Promise<FakeStunServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new FakeStunServer(socket, mapped);
  }

  get url(): string {
    return `stun:127.0.0.1:${this.socket.address().port}`;
  }

  close(): void {
    this.socket.close();
  }
}
