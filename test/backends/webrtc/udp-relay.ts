import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { seededRandom } from '../../voice/audio/signals.js';

/**
 * A UDP relay between a WebRTC client and server on loopback, standing in for a bad network
 * (no TURN needed). The test rewrites the server's candidates in the answer to `clientSide`
 * and gives the server none of the client's, so every packet (STUN, DTLS, SRTP, SCTP)
 * crosses here. Like a NAT, each client address gets its own socket towards the server,
 * which the server learns as a peer-reflexive candidate. Loss and jitter apply to every
 * packet both ways; `blackhole()` makes the client vanish.
 */
export interface RelayOptions {
  /** Fraction of packets dropped, each direction (0..1). */
  loss?: number;
  /** Each packet is delayed by a uniform 0..jitterMs (so packets reorder). */
  jitterMs?: number;
  /** Seed of the loss/jitter sequence, so a failure can be replayed. */
  seed?: number;
}

export class UdpRelay {
  readonly stats = { toServer: 0, toClient: 0, dropped: 0, reordered: 0 };
  /** Where the server really listens (its loopback host candidate, read from the answer). */
  server?: { host: string; port: number };
  private readonly mappings = new Map<string, Socket>();
  private blackholed = false;
  private closed = false;
  private rand: () => number;
  private lastDue = { toServer: 0, toClient: 0 };

  private constructor(
    private readonly facingClient: Socket,
    private readonly opts: RelayOptions,
  ) {
    this.rand = seededRandom(opts.seed ?? 13);
    facingClient.on('message', (msg, from) => {
      const server = this.server;
      if (!server) return;
      const out = this.mapping(from);
      this.forward('toServer', () => out.send(msg, server.port, server.host));
    });
  }

  static async start(opts: RelayOptions = {}): Promise<UdpRelay> {
    return new UdpRelay(await bindLoopback(), opts);
  }

  /** The address the client must believe the server is at. */
  get clientSide(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.facingClient.address().port };
  }

  /** Drop everything from now on: to the server, the client just vanished. */
  blackhole(): void {
    this.blackholed = true;
  }

  close(): void {
    this.closed = true;
    this.facingClient.close();
    for (const s of this.mappings.values()) s.close();
    this.mappings.clear();
  }

  /** The socket that speaks to the server for one client address (created on first use). */
  private mapping(from: RemoteInfo): Socket {
    const key = `${from.address}:${from.port}`;
    let out = this.mappings.get(key);
    if (out) return out;
    out = createSocket('udp4');
    out.bind(0, '127.0.0.1');
    out.on('message', (msg) =>
      this.forward('toClient', () => this.facingClient.send(msg, from.port, from.address)),
    );
    this.mappings.set(key, out);
    return out;
  }

  private forward(way: 'toServer' | 'toClient', send: () => void): void {
    if (this.blackholed || this.rand() < (this.opts.loss ?? 0)) {
      this.stats.dropped++;
      return;
    }
    this.stats[way]++;
    const jitter = this.opts.jitterMs ?? 0;
    if (jitter <= 0) {
      send();
      return;
    }
    const delay = this.rand() * jitter;
    const due = performance.now() + delay;
    if (due < this.lastDue[way]) this.stats.reordered++;
    this.lastDue[way] = Math.max(this.lastDue[way], due);
    setTimeout(() => {
      if (!this.blackholed && !this.closed) send();
    }, delay);
  }
}

async function bindLoopback(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/**
 * An SDP without ICE candidates, and without end-of-candidates (which would make the other
 * side give up at once): the peer is learned from its checks, as a peer-reflexive candidate.
 */
export function stripCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .join('\r\n');
}

/** Replace the ICE candidates of each m-section of an SDP with one host candidate at `to`. */
export function pointCandidatesAt(sdp: string, to: { host: string; port: number }): string {
  const out: string[] = [];
  let added = false;
  for (const line of sdp.split('\r\n')) {
    if (line.startsWith('m=')) added = false;
    if (line.startsWith('a=candidate:')) {
      if (!added) out.push(`a=candidate:1 1 udp 2130706431 ${to.host} ${to.port} typ host`);
      added = true;
      continue;
    }
    out.push(line);
  }
  return out.join('\r\n');
}

/** The port of an SDP's first IPv4 loopback host candidate (where the server really listens). */
export function loopbackCandidatePort(sdp: string): number {
  const m = sdp.match(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/);
  if (!m) throw new Error(`no 127.0.0.1 candidate in:\n${sdp}`);
  return Number(m[1]);
}
