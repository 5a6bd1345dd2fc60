import { randomInt } from 'node:crypto';
import { ValidationError } from '../../core/errors.js';
import { OpusCodec, type OpusSampleRate } from '../../voice/audio/opus.js';

/** One Opus packet ready for an RTP sender (werift stamps ssrc and payload type). */
export interface OutboundRtp {
  sequenceNumber: number;
  timestamp: number;
  /** First packet of a talkspurt (RFC 3551): the receiver may adapt its playout here. */
  marker: boolean;
  payload: Uint8Array;
}

export interface OpusRtpSenderOptions {
  send(packet: OutboundRtp): void;
  /** Target bitrate in bit/s (default: libopus chooses for voip). */
  bitrate?: number;
  /** libopus encoder complexity 0-10 (default 10). */
  complexity?: number;
  /** Frame length (default 20 ms, what browsers send and expect). */
  frameMs?: 10 | 20 | 40 | 60;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

/** Opus's RTP clock is 48 kHz whatever rate the PCM is encoded at (RFC 7587). */
const RTP_CLOCK = 48000;
export const OPUS_RATES: readonly OpusSampleRate[] = [8000, 12000, 16000, 24000, 48000];

export function isOpusRate(rate: number): rate is OpusSampleRate {
  return (OPUS_RATES as readonly number[]).includes(rate);
}

/**
 * PCM in any chunk sizes -> fixed Opus frames -> RTP sequence numbers and timestamps, for one
 * outbound stream. Callers pace the PCM (the channels' OutboundPacer does); this only frames
 * and stamps it. Timestamps stay contiguous within a talkspurt; after a pause they jump by
 * the silence, with the marker bit set, so the browser's jitter buffer sees real time.
 */
export class OpusRtpSender {
  private readonly opts: OpusRtpSenderOptions;
  private readonly frameMs: number;
  private readonly now: () => number;
  private readonly encoders = new Map<number, OpusCodec>();
  private pending = new Int16Array(0);
  private pendingLength = 0;
  private pendingRate: OpusSampleRate = 16000;
  private sequenceNumber = randomInt(0, 0x10000);
  private timestamp = randomInt(0, 0x100000000);
  /** Wall time at which everything sent so far has played at the far end. */
  private mediaEndsAt = 0;
  framesSent = 0;

  constructor(options: OpusRtpSenderOptions) {
    this.opts = options;
    this.frameMs = options.frameMs ?? 20;
    this.now = options.now ?? (() => performance.now());
  }

  /** Audio sent but (by our estimate) not yet played by the client. */
  get isPlaying(): boolean {
    return this.mediaEndsAt > this.now();
  }

  /** When the client will have played everything sent (the estimate the playing state uses). */
  get playbackEndsAt(): number {
    return this.mediaEndsAt;
  }

  /** Queue PCM at `sampleRate` (an Opus rate); whole frames are encoded and sent at once. */
  push(pcm: Int16Array, sampleRate: number): void {
    if (!isOpusRate(sampleRate)) {
      throw new ValidationError(`Opus encodes ${OPUS_RATES.join(', ')} Hz, not ${sampleRate} Hz`);
    }
    if (pcm.length === 0) return;
    // A rate change mid-stream: finish the old rate's partial frame first.
    if (this.pendingLength > 0 && sampleRate !== this.pendingRate) this.flush();
    this.pendingRate = sampleRate;
    const frame = (sampleRate * this.frameMs) / 1000;
    let offset = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(frame - this.pendingLength, pcm.length);
      this.pending.set(pcm.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < frame) return;
      this.encodeAndSend(this.pending, sampleRate);
      this.pendingLength = 0;
    }
    // Whole frames straight from the caller's buffer (the encoder copies what it reads).
    while (pcm.length - offset >= frame) {
      this.encodeAndSend(pcm.subarray(offset, offset + frame), sampleRate);
      offset += frame;
    }
    if (offset < pcm.length) {
      if (this.pending.length < frame) this.pending = new Int16Array(frame);
      this.pending.set(pcm.subarray(offset));
      this.pendingLength = pcm.length - offset;
    }
  }

  /** End of a response: the partial last frame goes out padded with silence. */
  flush(): void {
    if (this.pendingLength === 0) return;
    const frame = (this.pendingRate * this.frameMs) / 1000;
    this.pending.fill(0, this.pendingLength, frame);
    this.pendingLength = 0;
    this.encodeAndSend(this.pending.subarray(0, frame), this.pendingRate);
  }

  /** Barge-in: drop the partial frame and forget the playback estimate. */
  clear(): void {
    this.pendingLength = 0;
    // The client drops what it holds (the data channel's `clear`): playback ends now, and the
    // next reply's timestamps count the silence from here.
    this.mediaEndsAt = Math.min(this.mediaEndsAt, this.now());
  }

  private encodeAndSend(frame: Int16Array, rate: OpusSampleRate): void {
    const payload = this.encoder(rate).encode(frame);
    const now = this.now();
    let marker = this.framesSent === 0;
    if (this.framesSent > 0 && now > this.mediaEndsAt + this.frameMs) {
      // The client ran dry (a pause between replies): skip the timestamp over the silence.
      this.timestamp = (this.timestamp + Math.round(((now - this.mediaEndsAt) * RTP_CLOCK) / 1000)) >>> 0;
      marker = true;
    }
    this.mediaEndsAt = Math.max(this.mediaEndsAt, now) + this.frameMs;
    const packet: OutboundRtp = {
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      marker,
      payload,
    };
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + (RTP_CLOCK * this.frameMs) / 1000) >>> 0;
    this.framesSent++;
    this.opts.send(packet);
  }

  private encoder(rate: OpusSampleRate): OpusCodec {
    let codec = this.encoders.get(rate);
    if (!codec) {
      codec = new OpusCodec({
        sampleRate: rate,
        channels: 1,
        bitrate: this.opts.bitrate,
        complexity: this.opts.complexity,
      });
      this.encoders.set(rate, codec);
    }
    return codec;
  }
}
