import type { WebSocket } from 'ws';
import type { Resampler } from '../audio/resampler.js';
import type { VoiceSession } from '../types.js';
import { type VoiceErrorCode, type VoiceFraming, voiceErrorFrame } from './websocket-voice-protocol.js';

/** What `authenticate` returns for an accepted client. */
export interface VoiceAuthResult {
  userId: string;
  /** The room this client may talk in; a `start.roomId` must match it when both are set. */
  roomId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * One client socket of the WebSocket voice backend and its per-connection audio state.
 * Sending goes through here so the backpressure rule holds everywhere.
 */
export class VoiceConnection {
  session?: VoiceSession;
  sampleRate = 0;
  framing: VoiceFraming = 'binary';
  alive = true;
  inputMuted = false;
  /** Set when the server ends the session, so the close is not reported as a client drop. */
  closedByServer = false;
  /** Samples received so far: the inbound frames' timestamps. */
  samplesIn = 0;
  /** Bumped by interrupt; a stream being sent stops when it sees a newer generation. */
  generation = 0;
  speaking = false;
  /** Odd trailing byte of outbound PCM, kept for the next chunk (TTS chunks split anywhere). */
  carry: number | undefined;
  /** Wall time at which the client will have played everything sent (a playback estimate). */
  playbackEndsAt = 0;
  /** Streaming resamplers for outbound chunks at other rates, by input rate. */
  readonly resamplers = new Map<number, Resampler>();
  private overflowed = false;

  constructor(
    readonly socket: WebSocket,
    readonly auth: VoiceAuthResult,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: (conn: VoiceConnection) => void,
  ) {}

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN && !this.overflowed;
  }

  /**
   * Send unless the client is too far behind. A client that does not read would otherwise
   * hold ever more memory (and its audio would be stale anyway): it is dropped instead.
   */
  send(data: string | Uint8Array): boolean {
    if (!this.open) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.overflowed = true;
      this.onOverflow(this);
      return false;
    }
    this.socket.send(data, { binary: typeof data !== 'string' });
    return true;
  }

  sendJson(message: Record<string, unknown>): boolean {
    return this.send(JSON.stringify(message));
  }

  error(code: VoiceErrorCode, message: string): void {
    this.send(voiceErrorFrame(code, message));
  }

  /** Outbound PCM in this connection's framing; advances the playback estimate. */
  sendPcm(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (!this.speaking) {
      this.speaking = true;
      this.sendJson({ type: 'speaking', speaking: true });
    }
    const sent =
      this.framing === 'binary'
        ? this.send(bytes)
        : this.send(
            `{"type":"audio","data":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}"}`,
          );
    if (!sent) return;
    const now = performance.now();
    const durationMs = (bytes.byteLength / 2 / this.sampleRate) * 1000;
    this.playbackEndsAt = Math.max(now, this.playbackEndsAt) + durationMs;
  }

  get isPlaying(): boolean {
    return this.playbackEndsAt > performance.now();
  }

  /** Drop the client's buffered playback and anything still on its way. */
  clearPlayback(): void {
    this.generation++;
    this.carry = undefined;
    this.playbackEndsAt = 0;
    for (const r of this.resamplers.values()) r.reset();
    this.sendJson({ type: 'clear_audio' });
    this.stopSpeaking();
  }

  stopSpeaking(): void {
    if (!this.speaking) return;
    this.speaking = false;
    this.sendJson({ type: 'speaking', speaking: false });
  }

  dispose(): void {
    for (const r of this.resamplers.values()) r.close();
    this.resamplers.clear();
  }
}
