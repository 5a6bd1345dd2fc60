import { StreamLevel } from './levels.js';
import { SignallingClient, SignallingError } from './signalling.js';
import type { VoiceLink, VoiceLinkEvents, VoiceLinkOptions } from './voice-link.js';
import { epochNow } from './types.js';

export type WebRTCVoiceOptions = VoiceLinkOptions;

/** The connection did not come up (ICE failed, timed out, data channel never opened). */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/**
 * Voice over WebRTC to roomkit's WebRTCVoiceBackend: the microphone goes up as Opus on a
 * sendrecv audio track, replies come down the same track, and the `roomkit` data channel
 * carries ready/speaking/clear/transcripts.
 *
 * Replies play through an <audio> element rather than Web Audio because that is the path
 * the browser's echo canceller takes as its reference (Chromium does not cancel Web Audio
 * output). Barge-in (`clear`) mutes the element at once: what the jitter buffer still holds
 * is never heard. The next reply's `speaking: true` unmutes it.
 */
export class WebRTCVoice implements VoiceLink {
  readonly transport = 'webrtc' as const;
  sessionId?: string;
  private readonly signalling: SignallingClient;
  private pc?: RTCPeerConnection;
  private channel?: RTCDataChannel;
  private player?: HTMLAudioElement;
  private ctx?: AudioContext;
  private inputLevel?: StreamLevel;
  private outputLevel?: StreamLevel;
  private ended = false;

  constructor(
    private readonly opts: WebRTCVoiceOptions,
    private readonly events: VoiceLinkEvents,
  ) {
    this.signalling = new SignallingClient(opts.url, opts.token);
  }

  async start(): Promise<void> {
    if (typeof RTCPeerConnection !== 'function') {
      throw new ConnectError('webrtc_unsupported', 'this browser has no RTCPeerConnection');
    }
    const iceServers = await this.signalling.iceServers();
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    const mic = this.opts.microphone;
    pc.addTransceiver(mic.getAudioTracks()[0]!, { direction: 'sendrecv', streams: [mic] });
    this.channel = pc.createDataChannel('roomkit');
    this.ctx = new AudioContext();
    this.inputLevel = new StreamLevel(this.ctx, mic);
    pc.ontrack = (e) => this.play(e.track);
    pc.onicecandidate = (e) => this.signalling.candidate(e.candidate ? e.candidate.toJSON() : null);
    const ready = this.waitReady();
    // The offer goes out at once; candidates follow as the browser finds them (trickle ICE).
    await pc.setLocalDescription();
    const answer = await this.signalling.offer(
      pc.localDescription!.sdp,
      this.opts.roomId,
      this.opts.metadata,
    );
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await ready;
  }

  levels(): { input: number; output: number } {
    const input = this.inputLevel?.read() ?? -100;
    const output = this.player && !this.player.muted ? (this.outputLevel?.read() ?? -100) : -100;
    return { input, output };
  }

  setMuted(muted: boolean): void {
    for (const t of this.opts.microphone.getAudioTracks()) t.enabled = !muted;
  }

  stop(reason = 'hung up'): void {
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.channel?.readyState === 'open') this.channel.send(JSON.stringify({ type: 'stop' }));
    } catch {
      // Closing anyway.
    }
    this.signalling.hangUp();
    this.pc?.close();
    this.inputLevel?.close();
    this.outputLevel?.close();
    if (this.player) {
      this.player.pause();
      this.player.srcObject = null;
    }
    void this.ctx?.close().catch(() => {});
    this.events.onEnded(reason);
  }

  /** Resolves on the server's `ready`; rejects if ICE fails or the deadline passes. */
  private waitReady(): Promise<void> {
    const pc = this.pc!;
    const channel = this.channel!;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(
        () => fail(new ConnectError('webrtc_timeout', `no WebRTC connection within ${timeoutMs} ms`)),
        timeoutMs,
      );
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      pc.onconnectionstatechange = () => {
        const state = pc.connectionState;
        if (state === 'failed') fail(new ConnectError('webrtc_failed', 'the WebRTC connection failed (ICE)'));
        if (settled && (state === 'failed' || state === 'closed')) this.stop('connection lost');
      };
      channel.onmessage = (e) => {
        let msg: Record<string, any>;
        try {
          msg = JSON.parse(String(e.data));
        } catch {
          return;
        }
        if (msg.type === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.sessionId = msg.sessionId;
          resolve();
        }
        this.onControl(msg);
      };
      channel.onclose = () => {
        if (!settled)
          fail(new ConnectError('webrtc_closed', 'the server closed the call before it was ready'));
        else this.stop('the server ended the call');
      };
    });
  }

  private onControl(msg: Record<string, any>): void {
    switch (msg.type) {
      case 'speaking':
        // A new reply: the muted player (after a clear) may be heard again.
        if (msg.speaking && msg.who !== 'user' && this.player) this.player.muted = false;
        this.events.onSpeaking({
          speaking: Boolean(msg.speaking),
          who: msg.who === 'user' ? 'user' : 'assistant',
        });
        return;
      case 'clear':
        if (this.player) this.player.muted = true;
        this.events.onClear({ at: epochNow() });
        return;
      case 'transcription':
        this.events.onTranscript({
          text: String(msg.text ?? ''),
          role: msg.role === 'assistant' ? 'assistant' : 'user',
          final: msg.final !== false,
        });
        return;
      case 'error':
        this.events.onNotice({ level: 'error', code: String(msg.code), message: String(msg.message) });
        return;
      case 'bye':
        this.stop(typeof msg.reason === 'string' ? msg.reason : 'the server ended the call');
        return;
    }
  }

  private play(track: MediaStreamTrack): void {
    if (this.player || track.kind !== 'audio') return;
    const stream = new MediaStream([track]);
    const player = new Audio();
    player.autoplay = true;
    player.srcObject = stream;
    this.player = player;
    this.outputLevel = new StreamLevel(this.ctx!, stream);
    player.play().catch(() =>
      this.events.onNotice({
        level: 'warning',
        code: 'autoplay_blocked',
        message: 'the browser blocked audio playback until the page is clicked',
      }),
    );
  }
}

/** Errors that another transport would hit too (auth, room): no point falling back. */
export function isFinal(error: unknown): boolean {
  return (
    error instanceof SignallingError &&
    (error.status === 401 || error.status === 403 || error.code === 'room_not_found')
  );
}
