/**
 * One live call on a carrier's media socket: outbound audio is framed (20 ms, or what the
 * carrier wants), paced at real time, encoded for the wire and followed by a mark per frame;
 * inbound audio is decoded into frames for the pipeline; a barge-in drops the queue and
 * sends the carrier's `clear`. The carrier-specific parts are the protocol's.
 */
import type { WebSocket } from 'ws';
import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { OutboundAudioConverter } from '../../../backends/rtp/outbound-audio.js';
import { OutboundPacer, type PacerClock } from '../../../voice/pacer.js';
import type { AudioFrame, VoiceSession } from '../../../voice/types.js';
import { MarkLedger } from './mark-ledger.js';
import type { StreamContext, StreamMessage, StreamProtocol } from './stream-protocol.js';
import { decodeWire, encodeWire, type WireFormat } from './wire-audio.js';

export interface MediaStreamCallOptions {
  socket: WebSocket;
  protocol: StreamProtocol;
  format: WireFormat;
  session: VoiceSession;
  /** The carrier's id of the call (for REST call control). */
  carrierCallId: string;
  clock: PacerClock;
  /** How far sending runs ahead of real time (ms). */
  leadMs: number;
  /** Unsent bytes the carrier may hold before it is dropped as not reading. */
  maxBufferedBytes: number;
  logger: Logger;
  /** Each outbound frame as it is played (the echo reference). */
  onPlayed: (frame: AudioFrame, lateMs: number) => void;
  /** Each outbound frame as it leaves (benchmarks and tests measure pacing). */
  onFrameSent?: (frame: AudioFrame, atMs: number) => void;
}

export class MediaStreamCall {
  readonly session: VoiceSession;
  readonly socket: WebSocket;
  readonly carrierCallId: string;
  readonly ledger = new MarkLedger();
  readonly format: WireFormat;
  readonly startedAt = Date.now();
  streamId?: string;
  /** Set when we ended the call (our hangup), so the socket's close is not a caller hangup. */
  endedByUs = false;
  ended = false;
  framesSent = 0;
  /** Bumped by each interrupt: a stream of audio that began before one stops there. */
  generation = 0;
  private readonly ctx: StreamContext;
  private readonly out: OutboundAudioConverter;
  private readonly pacer: OutboundPacer;
  private readonly afterTail: Int16Array[] = [];
  private readonly frameSamples: number;

  constructor(private readonly opts: MediaStreamCallOptions) {
    this.session = opts.session;
    this.socket = opts.socket;
    this.carrierCallId = opts.carrierCallId;
    this.format = opts.format;
    this.ctx = { format: opts.format };
    this.out = new OutboundAudioConverter(opts.format.sampleRate);
    this.frameSamples = Math.round((opts.format.sampleRate * opts.format.frameMs) / 1000);
    this.pacer = this.newPacer();
  }

  setStreamId(id: string | undefined): void {
    this.streamId = id;
    this.ctx.streamId = id;
  }

  get sampleRate(): number {
    return this.format.sampleRate;
  }

  get isPlaying(): boolean {
    return this.pacer.isPlaying || this.afterTail.length > 0 || this.ledger.unconfirmedMs > 0;
  }

  /** The pacer's overdue wake-up, now (VoiceBackend.catchUpPlayback). */
  catchUpPlayback(): void {
    this.pacer.catchUp();
  }

  /** Handed to us but not confirmed played: still queued here, plus sent and not echoed. */
  get unheardMs(): number {
    const tailMs = this.afterTail.reduce((n, c) => n + (c.length / this.sampleRate) * 1000, 0);
    return this.pacer.queuedMs + tailMs + this.ledger.unconfirmedMs;
  }

  /** The converter for outbound audio of any shape (bytes, chunks at any rate, G.711). */
  get converter(): OutboundAudioConverter {
    return this.out;
  }

  /** Queue PCM at the call's rate; false once the call ended. */
  push(pcm: Int16Array): boolean {
    if (this.ended) return false;
    const state = this.pacer.state;
    if (state === 'ending') {
      // The previous answer's tail is still going out: this one follows it.
      this.afterTail.push(pcm.slice());
      if (this.afterTail.length === 1) {
        void this.pacer.drained.then((result) => {
          const waiting = this.afterTail.splice(0);
          if (result.interrupted || this.ended || waiting.length === 0) return;
          this.pacer.reset();
          for (const chunk of waiting) this.pacer.push(chunk);
        });
      }
      return true;
    }
    if (state === 'interrupted' || state === 'drained') this.pacer.reset();
    return this.pacer.push(pcm);
  }

  /** The answer is complete: its last partial frame goes out without waiting for more. */
  endOfResponse(): void {
    if (this.pacer.state === 'playing') this.pacer.end();
  }

  /** Barge-in: drop what is queued here and tell the carrier to drop what it buffered. */
  interrupt(): void {
    const hadAudio = this.isPlaying;
    this.generation++;
    this.afterTail.length = 0;
    this.pacer.interrupt();
    this.ledger.clear();
    if (hadAudio) this.send(this.opts.protocol.clear(this.ctx));
  }

  /** Caller audio from the wire, cut into frames of the call's frame length (at most 20 ms). */
  decode(payload: Uint8Array, emit: (frame: AudioFrame) => void): void {
    const pcm = decodeWire(payload, this.format.encoding);
    const size = Math.min(this.frameSamples, Math.round(this.sampleRate / 50));
    for (let i = 0; i < pcm.length; i += size) {
      emit({
        data: pcm.subarray(i, Math.min(pcm.length, i + size)),
        sampleRate: this.sampleRate,
        channels: 1,
      });
    }
  }

  /** Send a protocol message; false when the socket is gone or the carrier stopped reading. */
  send(message: StreamMessage): boolean {
    const ws = this.socket;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.opts.logger.warn(
        { sessionId: this.session.id, buffered: ws.bufferedAmount },
        'carrier not reading the media stream (send buffer full); dropping the call',
      );
      ws.terminate();
      return false;
    }
    ws.send(message, (error) => {
      if (error) this.opts.logger.debug({ err: errorMessage(error) }, 'media stream send failed');
    });
    return true;
  }

  close(): void {
    this.ended = true;
    this.afterTail.length = 0;
    this.pacer.interrupt();
    this.out.close();
  }

  private newPacer(): OutboundPacer {
    return new OutboundPacer({
      sampleRate: this.format.sampleRate,
      frameMs: this.format.frameMs,
      leadMs: Math.max(this.opts.leadMs, this.format.frameMs),
      clock: this.opts.clock,
      send: (frame) => this.sendFrame(frame),
      onPlayed: (frame, lateMs) => this.opts.onPlayed(frame, lateMs),
      onError: (error) =>
        this.opts.logger.warn(
          { sessionId: this.session.id, err: errorMessage(error) },
          'media stream send failed',
        ),
    });
  }

  private sendFrame(frame: AudioFrame): void {
    const wire = padded(encodeWire(frame.data, this.format.encoding), this.format);
    if (!this.send(this.opts.protocol.media(this.ctx, wire))) return;
    const ms = (frame.data.length / this.sampleRate) * 1000;
    this.send(this.opts.protocol.mark(this.ctx, this.ledger.next(ms)));
    this.framesSent++;
    this.opts.onFrameSent?.(frame, this.opts.clock.now());
  }
}

/** A short last frame, padded with silence when the carrier wants whole chunks. */
function padded(wire: Uint8Array, format: WireFormat): Uint8Array {
  const chunk = format.chunkBytes;
  if (!chunk || wire.byteLength % chunk === 0) return wire;
  const out = new Uint8Array(Math.ceil(wire.byteLength / chunk) * chunk);
  // Silence is 0 in linear PCM and 0xFF in mu-law.
  if (format.encoding === 'mulaw') out.fill(0xff);
  out.set(wire);
  return out;
}
