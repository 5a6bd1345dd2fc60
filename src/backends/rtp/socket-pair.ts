import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface SocketPair {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
  rtcpPort: number;
}

function bind(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
    const onError = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Binds RTP on an even port and RTCP on the next one (RFC 3550's convention, which peers
 * that ignore a=rtcp rely on). With port 0 the OS picks; we retry a few times to find an
 * even port whose neighbour is free, then fall back to any RTCP port (announced in SDP as
 * a=rtcp, RFC 3605).
 */
export async function bindSocketPair(host: string, port: number, attempts = 8): Promise<SocketPair> {
  if (port !== 0) {
    const rtp = await bind(host, port);
    const rtcp = await bind(host, port + 1).catch(() => bind(host, 0));
    return pair(rtp, rtcp);
  }
  for (let i = 0; i < attempts; i++) {
    const rtp = await bind(host, 0);
    const p = rtp.address().port;
    if (p % 2 === 0 && p < 65535) {
      const rtcp = await bind(host, p + 1).catch(() => undefined);
      if (rtcp) return pair(rtp, rtcp);
    }
    rtp.close();
  }
  return pair(await bind(host, 0), await bind(host, 0));
}

function pair(rtp: Socket, rtcp: Socket): SocketPair {
  return { rtp, rtcp, rtpPort: rtp.address().port, rtcpPort: rtcp.address().port };
}
