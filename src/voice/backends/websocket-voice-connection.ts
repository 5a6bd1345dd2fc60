import type { WebSocket } from 'ws';
import type { Resampler } from '../audio/resampler.js';
import type { VoiceSession } from '../types.js';
import { type HeldWrites, holdUntilTickEnds } from '../held-writes.js';
import { type VoiceErrorCode, type VoiceFraming, voiceErrorFrame } from './websocket-voice-protocol.js';

/** What `authenticate` returns for an accepted client. */
export interface VoiceAuthResult {
  userId: string;
  /** The room this client may talk in; a `start.roomId` must match it when both are set. */
  roomId?: string;
  /** Rooms this client may talk in; '*' (default) means any. */
  rooms?: readonly string[] | '*';
  metadata?: Record<string, unknown>;
}

const BINARY = { binary: true };
const TEXT = { binary: false };

/**
 * One client socket of the WebSocket voice backend and its per-connection audio state.
 * Sending goes through here so the backpressure rule holds everywhere.
 */
export class VoiceConnection implements HeldWrites {
  session?: VoiceSession;
  sampleRate = 0;
  framing: VoiceFraming = 'binary';
  alive = true;
  inputMuted = false;
  /** A `start` is being authorized (a second one is refused meanwhile). */
  starting = false;
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
  private isCorked = false;

  constructor(
    readonly socket: WebSocket,
    readonly auth: VoiceAuthResult,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: (conn: VoiceConnection) => void,
    /** The TCP socket under `socket`: corked while a tick sends, so its messages leave in one write. */
    private readonly raw?: { cork(): void; uncork(): void },
  ) {}

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN && !this.overflowed;
  }

  /**
   * Send within the client's budget of unsent bytes, counting this frame: a client that does
   * not read the audio we send is dropped before it holds more than the budget (checking only
   * what was already queued let any one large frame through). Callers split large audio.
   */
  send(data: string | Uint8Array): boolean {
    if (!this.open) return false;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this.socket.bufferedAmount + size > this.maxBufferedBytes) {
      this.overflowed = true;
      this.onOverflow(this);
      return false;
    }
    // Everything this tick sends (a reply's first frames with its `speaking` and transcript,
    // a frame and a control message) leaves in one write at the end of the tick.
    if (this.raw && !this.isCorked) {
      this.isCorked = true;
      this.raw.cork();
      holdUntilTickEnds(this);
    }
    this.socket.send(data, typeof data === 'string' ? TEXT : BINARY);
    return true;
  }

  /** @internal End of the tick (or a flush): what was sent goes out. */
  release(): void {
    if (!this.isCorked) return;
    this.isCorked = false;
    this.raw?.uncork();
  }

  sendJson(message: Record<string, unknown>): boolean {
    return this.send(JSON.stringify(message));
  }

  error(code: VoiceErrorCode, message: string): void {
    this.send(voiceErrorFrame(code, message));
  }

  /** Outbound PCM in this connection's framing, in frames of at most 1 s; advances the playback estimate. */
  sendPcm(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (!this.speaking) {
      this.speaking = true;
      this.sendJson({ type: 'speaking', speaking: true });
    }
    const slice = Math.max(2, this.sampleRate * 2) & ~1;
    for (let offset = 0; offset < bytes.byteLength; offset += slice) {
      const part = bytes.byteLength <= slice ? bytes : bytes.subarray(offset, offset + slice);
      const sent =
        this.framing === 'binary'
          ? this.send(part)
          : this.send(
              `{"type":"audio","data":"${Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64')}"}`,
            );
      if (!sent) return;
      const now = performance.now();
      const durationMs = (part.byteLength / 2 / this.sampleRate) * 1000;
      this.playbackEndsAt = Math.max(now, this.playbackEndsAt) + durationMs;
    }
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
