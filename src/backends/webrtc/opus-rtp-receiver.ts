import { OpusCodec, type OpusSampleRate } from '../../voice/audio/opus.js';
import type { PacerClock } from '../../voice/pacer.js';
import type { AudioFrame } from '../../voice/types.js';
import { JitterBuffer, type JitterBufferOptions, type JitterEntry } from '../rtp/jitter-buffer.js';

export interface OpusRtpReceiverOptions {
  /** Rate the PCM is decoded at (Opus decodes natively at any of its rates: no resampler). */
  sampleRate: OpusSampleRate;
  onFrame(frame: AudioFrame): void;
  jitter?: JitterBufferOptions;
  clock?: PacerClock;
}

export interface OpusReceiveStats {
  packets: number;
  bytes: number;
  lost: number;
  late: number;
  reordered: number;
  /** Payloads libopus refused (concealed like losses). */
  corrupt: number;
  concealedMs: number;
  depthMs: number;
}

/** Opus's RTP clock is 48 kHz whatever rate it is decoded at (RFC 7587). */
const RTP_CLOCK = 48000;
// Longest stretch a timestamp jump is filled with silence (Chrome sends DTX-free audio, so a
// longer jump is a paused track or a restarted sender, not loss).
const MAX_FILL_MS = 200;

/**
 * The inbound half of a WebRTC audio track: RTP payloads (in arrival order) -> the shared
 * RTP jitter buffer (reordering, loss detection) -> Opus decode -> PCM frames with a media
 * timestamp. A lost packet is concealed by repeating the previous frame, faded, so the STT
 * hears a dip rather than a click; a packet libopus rejects is concealed the same way.
 */
export class OpusRtpReceiver {
  private readonly codec: OpusCodec;
  private readonly buffer: JitterBuffer<Uint8Array>;
  private readonly rate: number;
  private readonly onFrame: (frame: AudioFrame) => void;
  private last: Int16Array | undefined;
  /** RTP timestamp right after the last released frame (where the next one should start). */
  private nextTimestamp: number | undefined;
  private mediaSamples = 0;
  private readonly counts = { packets: 0, bytes: 0, corrupt: 0, concealedSamples: 0 };

  constructor(options: OpusRtpReceiverOptions) {
    this.rate = options.sampleRate;
    this.onFrame = options.onFrame;
    this.codec = new OpusCodec({ sampleRate: options.sampleRate, channels: 1 });
    this.buffer = new JitterBuffer<Uint8Array>(
      { release: (entry) => this.release(entry), lost: () => this.conceal() },
      { ...options.jitter, clock: options.clock },
    );
  }

  /** One RTP packet as it arrived (any order, duplicates included). */
  push(sequenceNumber: number, timestamp: number, payload: Uint8Array): void {
    this.counts.packets++;
    this.counts.bytes += payload.byteLength;
    this.buffer.insert(sequenceNumber, timestamp, payload);
  }

  stats(): OpusReceiveStats {
    const j = this.buffer.stats();
    return {
      packets: this.counts.packets,
      bytes: this.counts.bytes,
      lost: j.lost,
      late: j.late,
      reordered: j.reordered,
      corrupt: this.counts.corrupt,
      concealedMs: (this.counts.concealedSamples / this.rate) * 1000,
      depthMs: j.depthMs,
    };
  }

  close(): void {
    this.buffer.close();
  }

  private release(entry: JitterEntry<Uint8Array>): void {
    let pcm: Int16Array;
    try {
      pcm = this.codec.decode(entry.item);
    } catch {
      this.counts.corrupt++;
      this.conceal();
      return;
    }
    if (pcm.length === 0) return;
    if (this.nextTimestamp !== undefined) {
      // A gap the sequence numbers do not show (the sender skipped time): keep the media
      // clock honest with silence, up to a limit.
      const gap = ((entry.timestamp - this.nextTimestamp) | 0) * (this.rate / RTP_CLOCK);
      const fill = Math.min(Math.round(gap), (this.rate * MAX_FILL_MS) / 1000);
      if (fill >= pcm.length) this.emit(new Int16Array(fill), true);
    }
    this.nextTimestamp = (entry.timestamp + Math.round((pcm.length * RTP_CLOCK) / this.rate)) >>> 0;
    this.last = pcm;
    this.emit(pcm, false);
  }

  /** One frame of concealment: the previous frame at half level fading to zero. */
  private conceal(): void {
    const last = this.last;
    if (!last) return;
    const out = new Int16Array(last.length);
    for (let i = 0; i < out.length; i++) out[i] = (last[i] * 0.5 * (1 - i / out.length)) | 0;
    // The next concealment (a burst) fades from silence: repeating a repeat only buzzes.
    this.last = new Int16Array(last.length);
    if (this.nextTimestamp !== undefined) {
      this.nextTimestamp = (this.nextTimestamp + Math.round((out.length * RTP_CLOCK) / this.rate)) >>> 0;
    }
    this.emit(out, true);
  }

  private emit(data: Int16Array, concealed: boolean): void {
    if (concealed) this.counts.concealedSamples += data.length;
    const timestampMs = (this.mediaSamples / this.rate) * 1000;
    this.mediaSamples += data.length;
    this.onFrame({ data, sampleRate: this.rate, channels: 1, timestampMs });
  }
}
