import { type ConnectOptions, VoiceBackend } from '../../voice/backends/voice-backend.js';
import type { AudioChunk, AudioFrame, VoiceSession } from '../../voice/types.js';
import type { DtmfReceivedCallback } from '../rtp/rtp-voice-backend.js';
import type { SIPVoiceBackend } from './sip-voice-backend.js';

export interface SIPRealtimeTransportOptions {
  backend: SIPVoiceBackend;
  /**
   * Audio held back at the start of each answer before the first packet goes out, so the
   * bursts a realtime model sends in do not run the phone's buffer dry (default 80 ms).
   */
  preBufferMs?: number;
}

type OutboundAudio = AudioChunk | Uint8Array | AsyncIterable<AudioChunk>;

interface Held {
  chunks: AudioChunk[];
  ms: number;
}

/**
 * The seed's SIPRealtimeTransport: phone calls for a RealtimeVoiceChannel. Calls arrive and
 * leave through a SIPVoiceBackend (G.711 at 8 kHz, G.722 at 16 kHz; the channel resamples
 * to the model's rate); on the way out each answer is pre-buffered (~80 ms) and then paced
 * at one RTP packet per 20 ms, absorbing the model's jitter. Barge-in drops both.
 */
export class SIPRealtimeTransport extends VoiceBackend {
  readonly name = 'sip-realtime';
  readonly backend: SIPVoiceBackend;
  readonly preBufferMs: number;
  override readonly capabilities: number;
  override readonly supportsPlaybackCallback: boolean;
  private readonly held = new Map<string, Held>();

  constructor(options: SIPRealtimeTransportOptions) {
    super();
    this.backend = options.backend;
    this.preBufferMs = options.preBufferMs ?? 80;
    this.capabilities = this.backend.capabilities;
    this.supportsPlaybackCallback = this.backend.supportsPlaybackCallback;
    const b = this.backend;
    b.onAudioReceived((s, f) => this.emitAudio(s, f));
    b.onSessionReady((s) => {
      this.sessions.set(s.id, s);
      this.emitSessionReady(s);
    });
    b.onClientDisconnected((s) => {
      this.held.delete(s.id);
      this.emitClientDisconnected(s);
    });
    b.onAudioPlayed((s, f, lateMs) => this.emitAudioPlayed(s, f, lateMs));
    b.onBargeIn((s) => this.emitBargeIn(s));
  }

  override sampleRateFor(session: VoiceSession): number {
    return this.backend.sampleRateFor(session);
  }

  /** Listens for calls (the SIP backend's `listen`). */
  listen(): ReturnType<SIPVoiceBackend['listen']> {
    return this.backend.listen();
  }

  /** Dials `metadata.to` into the room (the realtime channel's startSession path). */
  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ) {
    const session = await this.backend.connect(roomId, participantId, channelId, opts);
    this.sessions.set(session.id, session);
    return session;
  }

  async disconnect(session: VoiceSession): Promise<void> {
    this.held.delete(session.id);
    this.forgetSession(session);
    await this.backend.disconnect(session);
  }

  async sendAudio(session: VoiceSession, audio: OutboundAudio): Promise<void> {
    if (audio instanceof Uint8Array) {
      const rate = this.backend.sampleRateFor(session);
      return this.push(session, { data: audio, sampleRate: rate, channels: 1, format: 'pcm_s16le' });
    }
    if (Symbol.asyncIterator in audio) {
      for await (const chunk of audio) await this.push(session, chunk);
      return;
    }
    return this.push(session, audio);
  }

  /**
   * A channel's paced frame is real time already, so it needs no pre-buffer: it takes the SIP
   * backend's fast path, unless an answer is being held (it must not overtake that audio).
   */
  override sendPacedFrame(session: VoiceSession, frame: AudioFrame, onError: (error: unknown) => void): void {
    if (this.held.has(session.id)) super.sendPacedFrame(session, frame, onError);
    else this.backend.sendPacedFrame(session, frame, onError);
  }

  interrupt(session: VoiceSession): void {
    this.held.delete(session.id);
    this.backend.interrupt(session);
  }

  /** The RTP pacer's overdue wake-up, now (the echo reference before the microphone). */
  override catchUpPlayback(session: VoiceSession): void {
    this.backend.catchUpPlayback(session);
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.held.has(session.id) || this.backend.isPlaying(session);
  }

  /** The answer is complete: whatever is still held goes out now, padded to a whole packet. */
  override endOfResponse(session: VoiceSession): void {
    void this.flush(session).then(() => this.backend.endOfResponse(session));
  }

  override setTraceEmitter(emitter: Parameters<VoiceBackend['setTraceEmitter']>[0]): void {
    super.setTraceEmitter(emitter);
    this.backend.setTraceEmitter(emitter);
  }

  onDtmfReceived(cb: DtmfReceivedCallback): () => void {
    return this.backend.onDtmfReceived(cb);
  }

  sendDtmf(...args: Parameters<SIPVoiceBackend['sendDtmf']>): Promise<void> {
    return this.backend.sendDtmf(...args);
  }

  override async close(): Promise<void> {
    this.held.clear();
    await this.backend.close();
  }

  private async push(session: VoiceSession, chunk: AudioChunk): Promise<void> {
    const held = this.held.get(session.id);
    if (!held && this.backend.isPlaying(session)) {
      // Mid-answer: the phone is already playing, so pass straight through.
      await this.backend.sendAudio(session, chunk);
      return;
    }
    const entry = held ?? { chunks: [], ms: 0 };
    entry.chunks.push(chunk);
    entry.ms += (chunk.data.byteLength / 2 / chunk.channels / chunk.sampleRate) * 1000;
    this.held.set(session.id, entry);
    if (entry.ms >= this.preBufferMs) await this.flush(session);
  }

  private async flush(session: VoiceSession): Promise<void> {
    const entry = this.held.get(session.id);
    if (!entry) return;
    this.held.delete(session.id);
    for (const chunk of entry.chunks) await this.backend.sendAudio(session, chunk);
  }
}
