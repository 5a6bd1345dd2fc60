import { errorMessage, ValidationError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { type ConnectOptions, VoiceBackend } from '../../voice/backends/voice-backend.js';
import type { PacerClock } from '../../voice/pacer.js';
import type { AudioFrame, VoiceSession } from '../../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../../voice/types.js';
import type { CodecSpec } from './codecs/codec.js';
import { createCodec, staticCodecSpec } from './codecs/codec-registry.js';
import type { DtmfEvent, DtmfSendOptions } from './dtmf.js';
import type { JitterBufferOptions } from './jitter-buffer.js';
import { type AddressLike, parseAddress } from './address.js';
import { isAsyncIterable, type OutboundAudio, OutboundAudioConverter } from './outbound-audio.js';
import { RtpMediaSession } from './rtp-media-session.js';
import type { RtpStats } from './rtp-stats.js';

export type DtmfReceivedCallback = (session: VoiceSession, event: DtmfEvent) => void;

export interface RTPVoiceBackendOptions {
  /** Where to bind RTP: `[host, port]`, `{ host, port }` or `'host:port'` (default 0.0.0.0, OS port). */
  localAddr?: AddressLike;
  /** Where to send RTP; may instead come per session as `metadata.remoteAddr`, or be latched. */
  remoteAddr?: AddressLike;
  /** RTP payload type of the audio (default 0, PCMU). */
  payloadType?: number;
  /** RTP clock rate (default 8000). */
  clockRate?: number;
  /** Encoding for a dynamic payload type: 'L16', 'opus', 'G722'... (static types need none). */
  codec?: string;
  /** RFC 4733 payload type (default 101; null disables telephone-events). */
  dtmfPayloadType?: number | null;
  /** Seconds between RTCP reports (default 5; 0 disables RTCP). */
  rtcpInterval?: number;
  /** Latch on the source of the first packet (default true). */
  symmetric?: boolean;
  jitterBuffer?: JitterBufferOptions;
  /** Hang up a session whose peer sent no RTP for this long (seconds, default 0 = never). */
  inactivityTimeout?: number;
  /** Silence delivered when the peer stops sending (DTX, hold), so turns end (default 1000 ms; 0 off). */
  silenceFillMs?: number;
  /** Packet time (default 20 ms). */
  frameMs?: number;
  clock?: PacerClock;
  logger?: Logger;
}

/**
 * The seed's RTPVoiceBackend: raw RTP, no signalling. Each `connect` binds a new socket pair
 * and streams with the configured codec to `remoteAddr` (or `metadata.remoteAddr`, or the
 * first peer that sends to us). Inbound audio arrives as AudioFrames at the codec's rate
 * (8 kHz G.711, 16 kHz G.722...), in order and with losses concealed; outbound audio of any
 * rate is resampled and leaves one packet per 20 ms. RFC 4733 digits arrive through
 * `onDtmfReceived` and go out with `sendDtmf`; `getStats` has the RTCP-grade metrics.
 */
export class RTPVoiceBackend extends VoiceBackend {
  readonly name: string = 'rtp';
  override readonly capabilities: number = VoiceCapability.INTERRUPTION | VoiceCapability.DTMF_SIGNALING;
  override readonly supportsPlaybackCallback: boolean = true;
  protected readonly logger: Logger;
  protected readonly media = new Map<string, { rtp: RtpMediaSession; out: OutboundAudioConverter }>();
  private readonly dtmfListeners: DtmfReceivedCallback[] = [];
  private readonly statsListeners: ((session: VoiceSession, stats: RtpStats) => void)[] = [];

  constructor(protected readonly options: RTPVoiceBackendOptions = {}) {
    super();
    this.logger = options.logger ?? createLogger('roomkit.backends.rtp');
  }

  override sampleRateFor(session: VoiceSession): number {
    return this.media.get(session.id)?.rtp.sampleRate ?? 8000;
  }

  /** Binds a socket pair and starts the call's media; ready at once (RTP needs no handshake). */
  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ): Promise<VoiceSession> {
    const metadata = { ...opts.metadata };
    const remote = parseAddress(metadata.remoteAddr ?? this.options.remoteAddr);
    const local = parseAddress(this.options.localAddr) ?? { host: '0.0.0.0', port: 0 };
    const spec = this.codecSpec();
    const codec = await createCodec(spec);
    const session = this.newSession(roomId, participantId, channelId, metadata);
    const dtmfPt = this.options.dtmfPayloadType === null ? undefined : (this.options.dtmfPayloadType ?? 101);
    const rtp = await RtpMediaSession.open({
      local,
      remote,
      codec,
      payloadType: this.options.payloadType ?? 0,
      dtmfPayloadType: dtmfPt,
      rtcpIntervalMs: (this.options.rtcpInterval ?? 5) * 1000,
      symmetric: this.options.symmetric ?? true,
      frameMs: this.options.frameMs,
      jitter: this.options.jitterBuffer,
      clock: this.options.clock,
      logger: this.logger,
      inactivityTimeoutMs: (this.options.inactivityTimeout ?? 0) * 1000,
      silenceFillMs: this.options.silenceFillMs,
      ...this.mediaCallbacks(session),
    });
    metadata.localAddr = { host: rtp.local.host, port: rtp.local.port };
    this.media.set(session.id, { rtp, out: new OutboundAudioConverter(rtp.sampleRate) });
    this.sessions.set(session.id, session);
    this.emitSessionReady(session);
    return session;
  }

  async disconnect(session: VoiceSession): Promise<void> {
    const m = this.media.get(session.id);
    this.media.delete(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
    if (!m) return;
    m.out.close();
    await m.rtp.close();
  }

  async sendAudio(session: VoiceSession, audio: OutboundAudio): Promise<void> {
    const m = this.media.get(session.id);
    if (!m) return;
    if (audio instanceof Uint8Array) {
      m.rtp.sendPcm(m.out.fromBytes(audio));
      return;
    }
    if (!isAsyncIterable(audio)) {
      m.rtp.sendPcm(await m.out.fromChunk(audio));
      return;
    }
    for await (const chunk of audio) {
      // Interrupted or hung up while the stream was open: stop pulling.
      if (this.media.get(session.id) !== m || !m.rtp.sendPcm(await m.out.fromChunk(chunk))) break;
    }
  }

  /**
   * A VoiceChannel's paced frame (the per-frame hot path): mono PCM at the call's rate goes
   * straight into the media session's pacer, with no chunk, no promise, no converter and no
   * copy (the channel's pacer never reuses a frame it sent). Anything else (another rate after
   * a re-INVITE, an odd byte left by `sendAudio`) takes the general path.
   *
   * The media session's pacer still times the wire, on purpose: the channel's pacer runs
   * `leadMs` (60 ms by default) ahead of playback and releases that much at once when a reply
   * starts, so sending on arrival would burst packets and report them played (the echo
   * reference) 40 ms early. The session's pacer puts each packet on its 20 ms slot and fires
   * `onAudioPlayed` then. Nothing waits twice: a frame that arrives on its slot (a channel
   * lead of at most frame + 5 ms) goes out at once, inside the push.
   */
  override sendPacedFrame(session: VoiceSession, frame: AudioFrame, onError: (error: unknown) => void): void {
    const m = this.media.get(session.id);
    if (!m) return;
    if (frame.sampleRate !== m.rtp.sampleRate || frame.channels !== 1 || m.out.holdsByte) {
      super.sendPacedFrame(session, frame, onError);
      return;
    }
    try {
      m.rtp.sendPcm(frame.data, true);
    } catch (error) {
      onError(error);
    }
  }

  /** Barge-in: the queued audio is dropped; the far end hears silence from the next packet. */
  interrupt(session: VoiceSession): void {
    this.media.get(session.id)?.rtp.interrupt();
  }

  override endOfResponse(session: VoiceSession): void {
    this.media.get(session.id)?.rtp.endOfResponse();
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.media.get(session.id)?.rtp.isPlaying ?? false;
  }

  override catchUpPlayback(session: VoiceSession): void {
    this.media.get(session.id)?.rtp.catchUpPlayback();
  }

  /** Seed: RTP has no UI channel, so transcripts are logged. */
  override async sendTranscription(session: VoiceSession, text: string, role: 'user' | 'assistant' = 'user') {
    this.logger.info({ backend: this.name, sessionId: session.id, role, text }, 'transcription');
  }

  override async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
  }

  // ---- RTP extras ----------------------------------------------------------------------

  /** RFC 4733 (and, for SIP, INFO) digits from the caller. */
  onDtmfReceived(cb: DtmfReceivedCallback): () => void {
    this.dtmfListeners.push(cb);
    return () => {
      const i = this.dtmfListeners.indexOf(cb);
      if (i >= 0) this.dtmfListeners.splice(i, 1);
    };
  }

  /** Sends digits as RFC 4733 events; resolves when the last one has been sent. */
  async sendDtmf(session: VoiceSession, digits: string, opts: DtmfSendOptions = {}): Promise<void> {
    const m = this.media.get(session.id);
    if (!m) throw new ValidationError(`no RTP session ${session.id}`);
    await m.rtp.sendDtmf(digits, opts);
  }

  /** Loss, jitter, packet counts, drops per reason, and the far end's RTCP view. */
  getStats(session: VoiceSession): RtpStats | undefined {
    return this.media.get(session.id)?.rtp.stats();
  }

  /** Called with fresh stats each time an RTCP report goes out (every `rtcpInterval`). */
  onStats(cb: (session: VoiceSession, stats: RtpStats) => void): () => void {
    this.statsListeners.push(cb);
    return () => {
      const i = this.statsListeners.indexOf(cb);
      if (i >= 0) this.statsListeners.splice(i, 1);
    };
  }

  /** The bound RTP address of a session (its port when port 0 was asked for). */
  localAddress(session: VoiceSession): { host: string; port: number } | undefined {
    return this.media.get(session.id)?.rtp.local;
  }

  // ---- for subclasses --------------------------------------------------------------------

  protected emitDtmf(session: VoiceSession, event: DtmfEvent): void {
    for (const cb of this.dtmfListeners) {
      try {
        cb(session, event);
      } catch (error) {
        this.logger.error({ backend: this.name, err: errorMessage(error) }, 'dtmf listener threw');
      }
    }
  }

  protected mediaCallbacks(session: VoiceSession) {
    return {
      onAudio: (frame: import('../../voice/types.js').AudioFrame) => {
        if (session.state === VoiceSessionState.ACTIVE) this.emitAudio(session, frame);
      },
      onDtmf: (event: DtmfEvent) => this.emitDtmf(session, event),
      onPlayed: (frame: import('../../voice/types.js').AudioFrame, lateMs: number) =>
        this.emitAudioPlayed(session, frame, lateMs),
      onTimeout: () => this.mediaTimedOut(session),
      onReport: () => {
        const stats = this.media.get(session.id)?.rtp.stats();
        if (stats) for (const cb of this.statsListeners) cb(session, stats);
      },
    };
  }

  protected mediaTimedOut(session: VoiceSession): void {
    this.logger.warn(
      { backend: this.name, sessionId: session.id },
      'no RTP from the peer; ending the session',
    );
    void this.disconnect(session).then(() => this.emitClientDisconnected(session));
  }

  private codecSpec(): CodecSpec {
    const pt = this.options.payloadType ?? 0;
    if (this.options.codec) return { name: this.options.codec, clockRate: this.options.clockRate ?? 8000 };
    const known = staticCodecSpec(pt);
    if (!known) {
      throw new ValidationError(`payload type ${pt} is dynamic: say which codec with the 'codec' option`);
    }
    return known;
  }
}
