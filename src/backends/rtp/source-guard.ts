/**
 * Who may feed a call's RTP port. Symmetric RTP (RFC 4961 practice, "latching"): the first
 * packet's source becomes the peer - we send there too, which is what gets audio through
 * NAT - and packets from anyone else are dropped. A new SSRC from the peer is dropped until
 * it has proven itself with `ssrcProbation` packets in a row (a PBX that re-bridges a call
 * switches SSRC; a stray stream does not win that way). A token bucket drops floods.
 */
export type DropReason =
  | 'short'
  | 'version'
  | 'padding'
  | 'extension'
  | 'unknownPayloadType'
  | 'foreignSource'
  | 'ssrcChange'
  | 'flood'
  | 'notReceiving'
  | 'badDtmf'
  | 'undecodable';

export interface SourceGuardOptions {
  /** Latch on the first packet's source (default true); false accepts the configured remote only. */
  symmetric: boolean;
  /** Consecutive packets a new SSRC needs before it replaces the old one (default 10). */
  ssrcProbation?: number;
  /** Sustained packets per second allowed (default 200: four times a 20 ms stream plus DTMF). */
  maxPacketsPerSecond?: number;
  /** Burst size of the bucket (default 100). */
  burst?: number;
}

export type GuardVerdict =
  | { accept: true; newSource: boolean; newSsrc: boolean }
  | { accept: false; reason: DropReason };

export class SourceGuard {
  /** The latched (or configured) peer address. */
  peer?: { address: string; port: number };
  ssrc?: number;
  private latched = false;
  private candidate?: { ssrc: number; count: number };
  private tokens: number;
  private refilledAt = 0;
  private readonly rate: number;
  private readonly burst: number;
  private readonly probation: number;

  constructor(private readonly opts: SourceGuardOptions) {
    this.rate = opts.maxPacketsPerSecond ?? 200;
    this.burst = opts.burst ?? 100;
    this.tokens = this.burst;
    this.probation = opts.ssrcProbation ?? 10;
  }

  /** The remote from configuration or signalling; unlatches so the next packet may latch again. */
  expect(address: string | undefined, port: number | undefined): void {
    this.peer = address && port ? { address, port } : undefined;
    this.latched = false;
  }

  /** A new call leg (re-INVITE to another party): any SSRC is welcome again. */
  forgetSsrc(): void {
    this.ssrc = undefined;
    this.candidate = undefined;
  }

  check(address: string, port: number, ssrc: number, nowMs: number): GuardVerdict {
    if (!this.take(nowMs)) return { accept: false, reason: 'flood' };
    let newSource = false;
    if (!this.latched) {
      if (this.opts.symmetric || !this.peer) {
        newSource = !this.peer || this.peer.address !== address || this.peer.port !== port;
        this.peer = { address, port };
        this.latched = true;
      } else if (this.peer.address !== address || this.peer.port !== port) {
        return { accept: false, reason: 'foreignSource' };
      } else {
        this.latched = true;
      }
    } else if (this.peer && (this.peer.address !== address || this.peer.port !== port)) {
      return { accept: false, reason: 'foreignSource' };
    }
    if (this.ssrc === undefined) {
      this.ssrc = ssrc;
      return { accept: true, newSource, newSsrc: true };
    }
    if (ssrc === this.ssrc) {
      this.candidate = undefined;
      return { accept: true, newSource, newSsrc: false };
    }
    if (this.candidate?.ssrc === ssrc) this.candidate.count++;
    else this.candidate = { ssrc, count: 1 };
    if (this.candidate.count >= this.probation) {
      this.ssrc = ssrc;
      this.candidate = undefined;
      return { accept: true, newSource, newSsrc: true };
    }
    return { accept: false, reason: 'ssrcChange' };
  }

  private take(nowMs: number): boolean {
    if (this.refilledAt === 0) this.refilledAt = nowMs;
    const elapsed = nowMs - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.rate);
      this.refilledAt = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
