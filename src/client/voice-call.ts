import { Emitter } from './emitter.js';
import type { VoiceCallEvents, VoiceState, VoiceTransport } from './types.js';
import type { VoiceLink, VoiceLinkEvents, VoiceLinkOptions } from './voice-link.js';
import { isFinal, WebRTCVoice } from './webrtc-voice.js';
import { WebSocketVoice } from './websocket-voice.js';

export interface VoiceCallOptions {
  /** The room to talk in. */
  roomId: string;
  /** Server origin (default: the page's). */
  url?: string;
  /** Sent as a Bearer header to signalling, and as `?token=` to the WebSocket fallback. */
  token?: string;
  /** 'auto' (default): WebRTC, falling back to the WebSocket when it cannot connect. */
  transport?: 'auto' | VoiceTransport;
  /** WebRTC signalling path (default '/rtc'). */
  rtcPath?: string;
  /** WebSocket voice path (default '/voice'). */
  voicePath?: string;
  /** Microphone constraints; the browser's echo cancellation, noise suppression and gain control are on by default. */
  audio?: MediaTrackConstraints;
  /** A microphone stream you already have (the call does not stop its tracks). */
  microphone?: MediaStream;
  metadata?: Record<string, unknown>;
  /** Each transport's deadline to connect (default 10 s). */
  connectTimeoutMs?: number;
  /** How often `level` fires (default 50 ms; 0 turns it off). */
  levelIntervalMs?: number;
}

export const DEFAULT_AUDIO: MediaTrackConstraints = {
  channelCount: 1,
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

/**
 * One voice call into a room: captures the microphone, plays the replies, stops playback on
 * barge-in, and reports transcripts, speaking, levels, notices and state as events.
 *
 *     const call = await VoiceCall.start({ roomId: 'lobby', token });
 *     call.on('transcript', (t) => console.log(t.role, t.text));
 *     call.hangUp();
 */
export class VoiceCall extends Emitter<VoiceCallEvents> {
  state: VoiceState = 'off';
  transport?: VoiceTransport;
  sessionId?: string;
  private link?: VoiceLink;
  private mic?: MediaStream;
  private ownsMic = false;
  private levelTimer?: ReturnType<typeof setInterval>;
  // Leaving the page hangs up (the DELETE goes out with keepalive), rather than leaving the
  // server to notice the silence.
  private readonly onPageHide = () => this.hangUp('page closed');

  private constructor(private readonly opts: VoiceCallOptions) {
    super();
  }

  /** Connect (resolves once audio flows both ways); rejects when no transport could connect. */
  static async start(options: VoiceCallOptions): Promise<VoiceCall> {
    const call = new VoiceCall(options);
    await call.connect();
    return call;
  }

  /** Create a call without connecting, to attach listeners first; then `await call.connect()`. */
  static create(options: VoiceCallOptions): VoiceCall {
    return new VoiceCall(options);
  }

  async connect(): Promise<void> {
    if (this.state !== 'off') throw new Error(`call already ${this.state}`);
    this.setState('connecting');
    try {
      this.mic =
        this.opts.microphone ??
        (await navigator.mediaDevices.getUserMedia({ audio: this.opts.audio ?? DEFAULT_AUDIO }));
      this.ownsMic = !this.opts.microphone;
      const wanted = this.opts.transport ?? 'auto';
      if (wanted !== 'websocket') {
        try {
          await this.open(this.webrtc());
          return;
        } catch (error) {
          if (wanted === 'webrtc' || isFinal(error)) throw error;
          this.emit('notice', {
            level: 'warning',
            code: 'webrtc_fallback',
            message: `WebRTC did not connect (${(error as Error).message}); using the WebSocket`,
          });
        }
      }
      await this.open(this.websocket());
    } catch (error) {
      this.release();
      this.setState('ended', (error as Error).message);
      throw error;
    }
  }

  /** Mute or unmute the microphone (the call stays up). */
  mute(muted: boolean): void {
    this.link?.setMuted(muted);
  }

  hangUp(reason = 'hung up'): void {
    this.link?.stop(reason);
    this.release();
    if (this.state !== 'ended') this.setState('ended', reason);
  }

  private async open(link: VoiceLink): Promise<void> {
    this.link = link;
    try {
      await link.start();
    } catch (error) {
      link.stop('failed');
      this.link = undefined;
      throw error;
    }
    this.transport = link.transport;
    this.sessionId = link.sessionId;
    this.setState('connected');
    globalThis.addEventListener?.('pagehide', this.onPageHide);
    const every = this.opts.levelIntervalMs ?? 50;
    if (every > 0) this.levelTimer = setInterval(() => this.emit('level', link.levels()), every);
  }

  private linkEvents(): VoiceLinkEvents {
    return {
      onTranscript: (e) => this.emit('transcript', e),
      onSpeaking: (e) => this.emit('speaking', e),
      onClear: (e) => this.emit('clear', e),
      onNotice: (e) => this.emit('notice', e),
      onEnded: (reason) => {
        // A transport that fails while connecting is not the end of the call (fallback).
        if (this.state !== 'connected') return;
        this.release();
        this.setState('ended', reason);
      },
    };
  }

  private webrtc(): VoiceLink {
    return new WebRTCVoice(
      this.linkOptions(this.endpoint(this.opts.rtcPath ?? '/rtc', 'http')),
      this.linkEvents(),
    );
  }

  private websocket(): VoiceLink {
    return new WebSocketVoice(
      this.linkOptions(this.endpoint(this.opts.voicePath ?? '/voice', 'ws')),
      this.linkEvents(),
    );
  }

  private linkOptions(url: string): VoiceLinkOptions {
    const { token, roomId, metadata, connectTimeoutMs } = this.opts;
    return { url, token, roomId, metadata, connectTimeoutMs, microphone: this.mic! };
  }

  private endpoint(path: string, scheme: 'http' | 'ws'): string {
    const url = new URL(path, this.opts.url ?? location.origin);
    if (scheme === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  private release(): void {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    clearInterval(this.levelTimer);
    this.levelTimer = undefined;
    if (this.ownsMic) for (const t of this.mic?.getTracks() ?? []) t.stop();
    this.mic = undefined;
  }

  private setState(state: VoiceState, reason?: string): void {
    this.state = state;
    this.emit('state', { state, transport: this.transport, sessionId: this.sessionId, reason });
  }
}
