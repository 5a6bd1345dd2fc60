import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { OutboundPacer, type PacerClock } from '../../voice/pacer.js';
import type { AudioFrame } from '../../voice/types.js';
import type { RtpCodec } from './codecs/codec.js';
import { DtmfReceiver, type DtmfEvent } from './dtmf.js';
import { DtmfSender, type DtmfSendOptions } from './dtmf-sender.js';
import { sharedMediaClock } from './media-clock.js';
import { JitterBuffer, type JitterBufferOptions, type JitterEntry } from './jitter-buffer.js';
import { ReceiverStats } from './receiver-stats.js';
import { RtcpReporter } from './rtcp-reporter.js';
import { looksLikeRtcp, parseRtp, serializeRtp } from './rtp-packet.js';
import { newOutboundTiming, recordSend, type RtpStats } from './rtp-stats.js';
import { bindSocketPair, type SocketPair } from './socket-pair.js';
import { type DropReason, SourceGuard } from './source-guard.js';

/** Media direction from our side (SDP a=sendrecv/sendonly/recvonly/inactive). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpEndpoint {
  host: string;
  port: number;
}

export interface RtpMediaSessionOptions {
  /** Address to bind; port 0 lets the OS choose (RTCP then takes the next port when free). */
  local: RtpEndpoint;
  /** Where to send RTP until the peer's first packet is latched (undefined: wait for it). */
  remote?: RtpEndpoint;
  /** Where to send RTCP (default: remote port + 1). */
  remoteRtcp?: RtpEndpoint;
  codec: RtpCodec;
  payloadType: number;
  /** RFC 4733 payload type (undefined: telephone-events not negotiated). */
  dtmfPayloadType?: number;
  /** Seconds between RTCP reports (0 disables RTCP). */
  rtcpIntervalMs?: number;
  symmetric?: boolean;
  frameMs?: number;
  jitter?: JitterBufferOptions;
  clock?: PacerClock;
  logger?: Logger;
  cname?: string;
  /**
   * When the peer stops sending (DTX, comfort noise, a hold, a lost stream), deliver this
   * much silence so voice activity detection sees the end of a turn (default 1000 ms; 0 off).
   */
  silenceFillMs?: number;
  /** No RTP for this long while receiving: `onTimeout` (0 = never; default 0). */
  inactivityTimeoutMs?: number;
  onAudio(frame: AudioFrame): void;
  onDtmf?(event: DtmfEvent): void;
  /** A frame started playing at the far end (sent now): the time-aligned AEC reference. */
  onPlayed?(frame: AudioFrame, lateMs: number): void;
  onTimeout?(): void;
  /** An RTCP report went out (fresh stats to publish). */
  onReport?(): void;
  onDrop?(reason: DropReason): void;
}

interface Inbound {
  payloadType: number;
  payload: Uint8Array;
}

// Payload types we accept without decoding: comfort noise (RFC 3389) keeps the stream alive.
const COMFORT_NOISE = 13;
// How early a packet may leave before its slot (see newPacer).
const SEND_SLACK_MS = 5;
// A DTMF event silent this long without its end packet is reported anyway.
const DTMF_STALE_MS = 300;

/**
 * One call's media: a UDP socket pair, the codec, the inbound jitter buffer and statistics,
 * RFC 4733 DTMF both ways, RTCP, and an outbound pacer that puts one packet on the wire
 * every frame (20 ms) at real time. Shared by RTPVoiceBackend and SIPVoiceBackend.
 * Nothing a peer sends can make it throw: bad packets are counted per reason and dropped.
 */
export class RtpMediaSession {
  readonly local: RtpEndpoint;
  readonly rtcpPort: number;
  readonly ssrc = randomBytes(4).readUInt32BE(0);
  direction: MediaDirection = 'sendrecv';
  private codec: RtpCodec;
  private payloadType: number;
  private dtmfPayloadType?: number;
  private readonly sockets: SocketPair;
  private readonly clock: PacerClock;
  private readonly frameMs: number;
  private readonly guard: SourceGuard;
  private pacer: OutboundPacer;
  private jitter: JitterBuffer<Inbound>;
  private receiverStats?: ReceiverStats;
  private dtmfIn: DtmfReceiver;
  private readonly dtmfOut: DtmfSender;
  private readonly rtcp: RtcpReporter;
  private remoteRtcp?: RtpEndpoint;
  private rtcpLatched = false;
  private seq = randomBytes(2).readUInt16BE(0);
  private timestamp = randomBytes(4).readUInt32BE(0);
  private lastSendAt: number | undefined;
  private lastDecoded?: Int16Array;
  private concealRun = 0;
  private lastReceivedAt: number;
  private closed = false;
  private readonly counters = {
    packetsReceived: 0,
    packetsSent: 0,
    octetsSent: 0,
    framesDelivered: 0,
    framesConcealed: 0,
    framesFilled: 0,
    dtmfReceived: 0,
    dtmfSent: 0,
    dropped: {} as Partial<Record<DropReason, number>>,
  };
  private sentSinceReport = false;
  private dtmfTimer: unknown;
  private readonly afterTail: Int16Array[] = [];
  private readonly timing = newOutboundTiming();
  private lastDeliveredAt: number | undefined;
  private filledMs = 0;
  private fillTimer: unknown;
  /** The next frame starts a talkspurt (marker bit, timestamp jumps over the silence). */
  private talkspurt = true;

  static async open(opts: RtpMediaSessionOptions): Promise<RtpMediaSession> {
    const sockets = await bindSocketPair(opts.local.host, opts.local.port);
    return new RtpMediaSession(opts, sockets);
  }

  private constructor(
    private readonly opts: RtpMediaSessionOptions,
    sockets: SocketPair,
  ) {
    this.sockets = sockets;
    this.local = { host: opts.local.host, port: sockets.rtpPort };
    this.rtcpPort = sockets.rtcpPort;
    this.codec = opts.codec;
    this.payloadType = opts.payloadType;
    this.dtmfPayloadType = opts.dtmfPayloadType;
    this.clock = opts.clock ?? sharedMediaClock;
    this.frameMs = opts.frameMs ?? 20;
    this.lastReceivedAt = this.clock.now();
    this.guard = new SourceGuard({ symmetric: opts.symmetric ?? true });
    this.guard.expect(opts.remote?.host, opts.remote?.port);
    this.remoteRtcp =
      opts.remoteRtcp ?? (opts.remote && { host: opts.remote.host, port: opts.remote.port + 1 });
    this.jitter = this.newJitterBuffer();
    this.dtmfIn = this.newDtmfReceiver();
    this.pacer = this.newPacer();
    this.dtmfOut = new DtmfSender({
      clock: this.clock,
      frameMs: this.frameMs,
      send: (payload, marker, timestamp) =>
        this.sendPacket(this.dtmfPayloadType!, payload, marker, timestamp),
      startTimestamp: () => this.talkspurtTimestamp(),
      finished: (timestamp, count) => {
        this.timestamp = timestamp;
        this.counters.dtmfSent += count;
        this.lastSendAt = this.clock.now();
        this.talkspurt = true;
      },
    });
    this.rtcp = new RtcpReporter({
      intervalMs: opts.rtcpIntervalMs ?? 5000,
      cname: opts.cname ?? `roomkit-${this.ssrc.toString(16)}@${this.local.host}`,
      clock: this.clock,
      clockRate: this.codec.clockRate,
      send: (packet) => this.sendRtcp(packet),
      sender: () => this.senderState(),
      receiver: () =>
        this.receiverStats && this.guard.ssrc !== undefined
          ? { ssrc: this.guard.ssrc, stats: this.receiverStats }
          : undefined,
      onReport: () => {
        this.checkInactivity();
        this.opts.onReport?.();
      },
    });
    if ((opts.silenceFillMs ?? 1000) > 0) this.armSilenceFill();
    sockets.rtp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
    sockets.rtcp.on('message', (buf, rinfo) => this.onRtcp(buf, rinfo));
    const onError = (error: Error) => opts.logger?.warn({ err: errorMessage(error) }, 'rtp socket error');
    sockets.rtp.on('error', onError);
    sockets.rtcp.on('error', onError);
  }

  /** PCM rate in and out (the codec's). */
  get sampleRate(): number {
    return this.codec.sampleRate;
  }

  get codecName(): string {
    return this.codec.name;
  }

  /** Where we send RTP now (the latched source once the peer spoke). */
  get remote(): RtpEndpoint | undefined {
    const p = this.guard.peer;
    return p && { host: p.address, port: p.port };
  }

  get isPlaying(): boolean {
    return this.pacer.isPlaying;
  }

  /** The pacer's overdue wake-up, now (VoiceBackend.catchUpPlayback). */
  catchUpPlayback(): void {
    this.pacer.catchUp();
  }

  get isSendingDtmf(): boolean {
    return this.dtmfOut.active;
  }

  /** New remote from signalling (re-INVITE): sends go there until the peer's packets latch again. */
  setRemote(remote: RtpEndpoint | undefined, remoteRtcp?: RtpEndpoint): void {
    this.guard.expect(remote?.host, remote?.port);
    this.guard.forgetSsrc();
    this.receiverStats = undefined;
    this.jitter.reset();
    this.rtcpLatched = false;
    this.remoteRtcp = remoteRtcp ?? (remote && { host: remote.host, port: remote.port + 1 });
  }

  /** Renegotiated codec (re-INVITE). The PCM rate may change: callers re-read `sampleRate`. */
  setCodec(codec: RtpCodec, payloadType: number, dtmfPayloadType?: number): void {
    const rateChanged = codec.sampleRate !== this.codec.sampleRate;
    this.codec = codec;
    if (rateChanged) {
      // The pacer frames PCM at the codec's rate: a new rate needs a new pacer.
      this.pacer.interrupt();
      this.afterTail.length = 0;
      this.pacer = this.newPacer();
    }
    this.payloadType = payloadType;
    this.dtmfPayloadType = dtmfPayloadType;
    this.jitter.reset();
    this.dtmfIn = this.newDtmfReceiver();
    this.lastDecoded = undefined;
  }

  /**
   * Queue PCM (at `sampleRate`) for real-time sending. Copied unless `owned`: the caller hands
   * the buffer over and never writes it again (a channel pacer's frames, see `sendPacedFrame`).
   */
  sendPcm(pcm: Int16Array, owned = false): boolean {
    if (this.closed) return false;
    if (!this.pacer.isPlaying) this.talkspurt = true;
    const state = this.pacer.state;
    if (state === 'ending') {
      // The previous response's tail is still going out: the next one follows it.
      this.afterTail.push(owned ? pcm : pcm.slice());
      if (this.afterTail.length === 1) {
        void this.pacer.drained.then((result) => {
          const waiting = this.afterTail.splice(0);
          if (result.interrupted || this.closed || waiting.length === 0) return;
          this.pacer.reset();
          // Already our own buffers (copied or handed over above): no second copy.
          for (const chunk of waiting) this.pacer.push(chunk, true);
        });
      }
      return true;
    }
    if (state === 'interrupted' || state === 'drained') this.pacer.reset();
    return this.pacer.push(pcm, owned);
  }

  /** The response is complete: its last partial frame goes out padded, without waiting for more. */
  endOfResponse(): void {
    if (this.pacer.state === 'playing') this.pacer.end();
  }

  /** Barge-in: drop everything queued at once. */
  interrupt(): void {
    this.afterTail.length = 0;
    this.pacer.interrupt();
  }

  /** RFC 4733 digits; resolves when the last end packet left. Audio is held back meanwhile. */
  sendDtmf(digits: string, opts: DtmfSendOptions = {}): Promise<void> {
    if (this.dtmfPayloadType === undefined) {
      return Promise.reject(new Error('telephone-event was not negotiated for this call'));
    }
    return this.dtmfOut.send(digits, opts, this.codec.clockRate);
  }

  stats(): RtpStats {
    const rx = this.receiverStats;
    const jb = this.jitter.stats();
    return {
      codec: this.codec.name,
      payloadType: this.payloadType,
      localPort: this.local.port,
      remote: this.remote,
      ssrc: this.ssrc,
      remoteSsrc: this.guard.ssrc,
      packetsReceived: this.counters.packetsReceived,
      packetsLost: Math.max(0, rx?.cumulativeLost ?? 0),
      jitterMs: rx?.jitterMs ?? 0,
      packetsSent: this.counters.packetsSent,
      octetsSent: this.counters.octetsSent,
      framesDelivered: this.counters.framesDelivered,
      framesConcealed: this.counters.framesConcealed,
      framesFilled: this.counters.framesFilled,
      dtmfReceived: this.counters.dtmfReceived,
      dtmfSent: this.counters.dtmfSent,
      dropped: { ...this.counters.dropped },
      jitterBuffer: jb,
      outbound: { ...this.timing, histogram: [...this.timing.histogram] },
      rtcp: {
        reportsSent: this.rtcp.reportsSent,
        reportsReceived: this.rtcp.reportsReceived,
        remote: this.rtcp.remote,
      },
    };
  }

  /** Sends an RTCP report right away (tests, or before reading the far end's view). */
  reportNow(): void {
    this.rtcp.sendReport();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.rtcp.close(this.remoteRtcp !== undefined);
    this.closed = true;
    this.pacer.interrupt();
    this.dtmfOut.cancel();
    if (this.dtmfTimer !== undefined) this.clock.clearTimer(this.dtmfTimer);
    if (this.fillTimer !== undefined) this.clock.clearTimer(this.fillTimer);
    this.jitter.close();
    await Promise.all([closeSocket(this.sockets.rtp), closeSocket(this.sockets.rtcp)]);
  }

  // ---- inbound ---------------------------------------------------------------------------

  private drop(reason: DropReason): void {
    const d = this.counters.dropped;
    d[reason] = (d[reason] ?? 0) + 1;
    this.opts.onDrop?.(reason);
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    if (looksLikeRtcp(buf)) {
      // rtcp-mux (RFC 5761): a peer sending RTCP on the RTP port.
      this.onRtcp(buf, rinfo);
      return;
    }
    const parsed = parseRtp(buf);
    if (!parsed.ok) {
      this.drop(parsed.reason);
      return;
    }
    const p = parsed.packet;
    const isAudio = p.payloadType === this.payloadType;
    const isDtmf = this.dtmfPayloadType !== undefined && p.payloadType === this.dtmfPayloadType;
    if (!isAudio && !isDtmf && p.payloadType !== COMFORT_NOISE) {
      this.drop('unknownPayloadType');
      return;
    }
    const now = this.clock.now();
    const verdict = this.guard.check(rinfo.address, rinfo.port, p.ssrc, now);
    if (!verdict.accept) {
      this.drop(verdict.reason);
      return;
    }
    if (this.direction === 'sendonly' || this.direction === 'inactive') {
      this.drop('notReceiving');
      return;
    }
    if (verdict.newSsrc) {
      this.receiverStats = new ReceiverStats(this.codec.clockRate);
      this.jitter.reset();
    }
    if (verdict.newSource && !this.rtcpLatched && this.opts.remoteRtcp === undefined) {
      // Symmetric RTCP follows the latched RTP source (port + 1 by convention).
      this.remoteRtcp = { host: rinfo.address, port: rinfo.port + 1 };
    }
    this.counters.packetsReceived++;
    this.lastReceivedAt = now;
    this.receiverStats!.update(p.sequenceNumber, p.timestamp, now);
    if (isDtmf) this.receiveDtmf(p.timestamp, p.payload, now);
    // DTMF and CN packets share the sequence space: they take their slot in the buffer
    // (so they are not mistaken for losses) but carry no audio.
    // Node hands every datagram its own buffer, so the payload view can be kept as is.
    const item: Inbound = { payloadType: p.payloadType, payload: isAudio ? p.payload : EMPTY };
    this.jitter.insert(p.sequenceNumber, p.timestamp, item);
  }

  private receiveDtmf(timestamp: number, payload: Uint8Array, now: number): void {
    if (!this.dtmfIn.receive(timestamp, payload, now)) {
      this.drop('badDtmf');
      return;
    }
    if (this.dtmfTimer !== undefined) this.clock.clearTimer(this.dtmfTimer);
    this.dtmfTimer = undefined;
    // Every end packet lost: report the digit once the event has been quiet a while.
    if (this.dtmfIn.pending) this.armDtmfFlush(DTMF_STALE_MS);
  }

  /**
   * Checks for a digit gone quiet after `delayMs`, and again until it is reported: the media
   * clock may run a timer up to half a millisecond early (it rounds to its 1 ms slots), and a
   * check that came too early used to leave the digit unreported for good.
   */
  private armDtmfFlush(delayMs: number): void {
    this.dtmfTimer = this.clock.setTimer(() => {
      this.dtmfTimer = undefined;
      const left = this.dtmfIn.flushStale(this.clock.now(), DTMF_STALE_MS);
      // At least a slot later, so a clock that ran it early cannot run it early again.
      if (left > 0) this.armDtmfFlush(Math.max(left, 1));
    }, delayMs);
  }

  private release(entry: JitterEntry<Inbound>): void {
    if (entry.item.payloadType !== this.payloadType || entry.item.payload.byteLength === 0) return;
    let pcm: Int16Array;
    try {
      pcm = this.codec.decode(entry.item.payload);
    } catch (error) {
      this.opts.logger?.debug({ err: errorMessage(error) }, 'rtp payload failed to decode');
      this.drop('undecodable');
      return;
    }
    this.lastDecoded = pcm;
    this.concealRun = 0;
    this.deliver(pcm, entry.timestamp);
  }

  /** One lost frame: the codec's concealment, else the last frame repeated and fading out. */
  private conceal(): void {
    const last = this.lastDecoded;
    if (!last) return;
    this.concealRun++;
    let pcm = this.codec.conceal?.(last.length);
    if (!pcm) {
      pcm = new Int16Array(last.length);
      const gain = this.concealRun > 3 ? 0 : 0.5 ** this.concealRun;
      if (gain > 0) for (let i = 0; i < pcm.length; i++) pcm[i] = last[i] * gain;
    }
    this.counters.framesConcealed++;
    this.deliver(pcm, undefined);
  }

  private deliver(pcm: Int16Array, rtpTimestamp: number | undefined): void {
    this.counters.framesDelivered++;
    this.lastDeliveredAt = this.clock.now();
    this.filledMs = 0;
    const frame: AudioFrame = { data: pcm, sampleRate: this.codec.sampleRate, channels: 1 };
    if (rtpTimestamp !== undefined) frame.timestampMs = (rtpTimestamp / this.codec.clockRate) * 1000;
    try {
      this.opts.onAudio(frame);
    } catch (error) {
      this.opts.logger?.error({ err: errorMessage(error) }, 'rtp audio listener threw');
    }
  }

  private onRtcp(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const peer = this.guard.peer;
    // Only the peer's host may report on our stream (ports differ for RTCP).
    if (peer && peer.address !== rinfo.address) {
      this.drop('foreignSource');
      return;
    }
    if (!this.rtcp.receive(buf)) {
      this.drop('version');
      return;
    }
    if (!this.rtcpLatched && this.opts.remoteRtcp === undefined) {
      this.remoteRtcp = { host: rinfo.address, port: rinfo.port };
      this.rtcpLatched = true;
    }
  }

  /** A slow check (every 100 ms): after a gap in the stream, the missing time as silence. */
  private armSilenceFill(): void {
    this.fillTimer = this.clock.setTimer(() => {
      if (this.closed) return;
      this.fillSilence();
      this.armSilenceFill();
    }, 100);
    (this.fillTimer as { unref?: () => void }).unref?.();
  }

  private fillSilence(): void {
    const limit = this.opts.silenceFillMs ?? 1000;
    const last = this.lastDecoded;
    if (!last || this.lastDeliveredAt === undefined || this.filledMs >= limit) return;
    const now = this.clock.now();
    const frameMs = (last.length / this.codec.sampleRate) * 1000;
    // Only a real gap (three frames late), not ordinary jitter.
    if (now - this.lastDeliveredAt < frameMs * 3) return;
    const silence = new Int16Array(last.length);
    while (this.filledMs < limit && now - (this.lastDeliveredAt + this.filledMs) >= frameMs * 2) {
      this.filledMs += frameMs;
      this.counters.framesFilled++;
      try {
        this.opts.onAudio({ data: silence, sampleRate: this.codec.sampleRate, channels: 1 });
      } catch (error) {
        this.opts.logger?.error({ err: errorMessage(error) }, 'rtp audio listener threw');
      }
    }
  }

  private checkInactivity(): void {
    const limit = this.opts.inactivityTimeoutMs ?? 0;
    if (limit <= 0 || this.direction === 'sendonly' || this.direction === 'inactive') return;
    if (this.clock.now() - this.lastReceivedAt >= limit) {
      this.lastReceivedAt = this.clock.now();
      this.opts.onTimeout?.();
    }
  }

  // ---- outbound --------------------------------------------------------------------------

  private newPacer(): OutboundPacer {
    return new OutboundPacer({
      sampleRate: this.codec.sampleRate,
      frameMs: this.frameMs,
      // Each frame leaves as it starts playing (the RTP stream is the playback), at most
      // 5 ms early: that slack anchors the schedule, so a timer firing a millisecond late
      // (they always do) does not push every later packet back with it.
      leadMs: this.frameMs + SEND_SLACK_MS,
      clock: this.clock,
      send: (frame) => this.sendFrame(frame),
      onPlayed: this.opts.onPlayed,
      onError: (error) => this.opts.logger?.warn({ err: errorMessage(error) }, 'rtp send failed'),
    });
  }

  private sendFrame(frame: AudioFrame): void {
    if (this.closed || this.dtmfOut.active) return;
    const samples = Math.round((this.codec.sampleRate * this.frameMs) / 1000);
    let pcm = frame.data;
    if (pcm.length < samples) {
      // The short tail of a response: padded so every packet has the negotiated ptime.
      const padded = new Int16Array(samples);
      padded.set(pcm);
      pcm = padded;
    }
    const now = this.clock.now();
    // A talkspurt starts after silence (not after a late timer: then the timestamps stay
    // contiguous and the receiver sees the lateness as jitter, which it is).
    const spurt = this.talkspurt || this.lastSendAt === undefined;
    this.talkspurt = false;
    const ts = spurt ? this.talkspurtTimestamp() : this.timestamp;
    recordSend(this.timing, now, this.frameMs, spurt);
    this.sendPacket(this.payloadType, this.codec.encode(pcm), spurt, ts);
    this.timestamp = (ts + (pcm.length * this.codec.clockRate) / this.codec.sampleRate) >>> 0;
    this.lastSendAt = now;
  }

  /** After silence the RTP clock jumps by the wall time that passed (receivers measure jitter from it). */
  private talkspurtTimestamp(): number {
    if (this.lastSendAt === undefined) return this.timestamp;
    const elapsed = this.clock.now() - this.lastSendAt - this.frameMs;
    if (elapsed <= 0) return this.timestamp;
    return (this.timestamp + Math.round((elapsed / 1000) * this.codec.clockRate)) >>> 0;
  }

  private sendPacket(payloadType: number, payload: Uint8Array, marker: boolean, timestamp: number): void {
    const remote = this.guard.peer;
    if (!remote || this.direction === 'recvonly' || this.direction === 'inactive') return;
    const packet = serializeRtp({
      marker,
      payloadType,
      sequenceNumber: this.seq,
      timestamp,
      ssrc: this.ssrc,
      payload,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.counters.packetsSent++;
    this.counters.octetsSent += payload.byteLength;
    this.sentSinceReport = true;
    this.sockets.rtp.send(packet, remote.port, remote.address);
  }

  private sendRtcp(packet: Buffer): void {
    const to = this.remoteRtcp;
    if (!to || this.closed) return;
    this.sockets.rtcp.send(packet, to.port, to.host);
  }

  private senderState() {
    const self = this;
    return {
      ssrc: this.ssrc,
      packetCount: this.counters.packetsSent,
      octetCount: this.counters.octetsSent,
      rtpTimestampNow: () => this.talkspurtTimestamp(),
      get sentSinceReport() {
        return self.sentSinceReport;
      },
      set sentSinceReport(v: boolean) {
        self.sentSinceReport = v;
      },
    };
  }

  private newJitterBuffer(): JitterBuffer<Inbound> {
    return new JitterBuffer<Inbound>(
      { release: (e) => this.release(e), lost: () => this.conceal() },
      { clock: this.clock, ...this.opts.jitter },
    );
  }

  private newDtmfReceiver(): DtmfReceiver {
    return new DtmfReceiver(this.codec.clockRate, (event) => {
      this.counters.dtmfReceived++;
      try {
        this.opts.onDtmf?.(event);
      } catch (error) {
        this.opts.logger?.error({ err: errorMessage(error) }, 'dtmf listener threw');
      }
    });
  }
}

const EMPTY = new Uint8Array(0);

function closeSocket(socket: import('node:dgram').Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
