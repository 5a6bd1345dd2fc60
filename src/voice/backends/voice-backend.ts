import { newId, nowIso } from '../../core/ids.js';
import { int16ToBytes } from '../audio/pcm.js';
import { SessionsByRoom } from './sessions-by-room.js';
import type {
  AudioChunk,
  AudioFrame,
  DiarizationResult,
  ProtocolTrace,
  VoiceCapability,
  VoiceSession,
} from '../types.js';
import { VoiceCapability as Cap, VoiceSessionState } from '../types.js';

export type AudioReceivedCallback = (session: VoiceSession, frame: AudioFrame) => void;
export type SessionCallback = (session: VoiceSession) => void;
/** Called as each outbound frame is actually played out (time-aligned AEC reference, heard position). */
/**
 * A frame went out to be played. `lateMs`, when the backend knows it: how long after the
 * frame's modelled playout start this runs (a pacer's timer firing late), so the echo
 * reference is placed where the caller really heard it.
 */
export type AudioPlayedCallback = (session: VoiceSession, frame: AudioFrame, lateMs?: number) => void;
/** A different person started talking on a session (from a diarizing transport or stage). */
export type SpeakerChangeCallback = (session: VoiceSession, result: DiarizationResult) => void;
/** Receives protocol traces (SIP INVITE/BYE, socket open/close...) while a channel observes them. */
export type TraceEmitter = (trace: ProtocolTrace) => void;

export interface ConnectOptions {
  metadata?: Record<string, unknown>;
}

/**
 * A voice transport (the seed's VoiceBackend): moves audio between clients and the
 * framework and nothing more — VAD, STT and the rest live in the pipeline and channel.
 * Backends either create sessions (`connect`) or bind external connections (`accept`).
 * Callbacks are registered with the `on*` methods; several listeners per kind are allowed.
 */
export abstract class VoiceBackend {
  abstract readonly name: string;
  /** Flags from VoiceCapability (INTERRUPTION, BARGE_IN, NATIVE_AEC, ...). */
  readonly capabilities: VoiceCapability = Cap.NONE;
  /**
   * Echo cancellation needs what the caller hears, when they hear it (the playback-time
   * reference). A VoiceChannel with an AEC stage gets it in one of three ways:
   *
   * - `supportsPlaybackCallback` true: the backend calls `emitAudioPlayed(session, frame)`
   *   at the moment each outbound frame is played or put on the wire at its real-time pace
   *   (an RTP packet sent, a frame written to a WebRTC track or a sound card), with the
   *   frame's PCM; the channel feeds it to the echo canceller, timestamped on receipt, and
   *   the echo path after that (network, far-end buffer, room) is estimated and tracked.
   *   Call it as frames go out, one by one, not in a batch.
   * - `feedsAecReference` true: the backend feeds the session's pipeline itself
   *   (`AudioPipelineSession.feedAecReference(frame, atMs?)`); the channel feeds nothing.
   * - neither (the default): the channel uses its own pacer's send times.
   */
  readonly feedsAecReference: boolean = false;
  /** The backend fires onAudioPlayed as frames are played (see `feedsAecReference`). */
  readonly supportsPlaybackCallback: boolean = false;
  /**
   * How a VoiceChannel's pacer feeds this transport: how far ahead of playback it sends and
   * how much it sends per wake-up (OutboundPacerOptions `leadMs`, `batchMs`). The channel's
   * own `pacer` option replaces it. Default: the pacer's (60 ms ahead, a frame at a time).
   */
  readonly pacing: { readonly leadMs?: number; readonly batchMs?: number } = {};
  /** Rate of the PCM this backend delivers inbound and expects outbound (per session may differ). */
  sampleRateFor(_session: VoiceSession): number {
    return 16000;
  }

  protected readonly sessions = new SessionsByRoom();
  private readonly audioListeners: AudioReceivedCallback[] = [];
  private readonly readyListeners: SessionCallback[] = [];
  private readonly bargeInListeners: SessionCallback[] = [];
  private readonly disconnectListeners: SessionCallback[] = [];
  private readonly playedListeners: AudioPlayedCallback[] = [];
  private readonly speakerListeners: SpeakerChangeCallback[] = [];
  private readonly gatedSessions = new Set<string>();
  /** Set by the owning channel while someone observes traces; undefined otherwise. */
  protected traceEmitter: TraceEmitter | undefined;

  /** Create a session the backend initiates (VoiceChannel path). */
  async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ): Promise<VoiceSession> {
    const session = this.newSession(roomId, participantId, channelId, opts.metadata);
    this.sessions.set(session.id, session);
    return session;
  }

  /** Bind an external connection (a socket, a call) to a session. */
  async accept(session: VoiceSession, _connection: unknown): Promise<void> {
    this.sessions.set(session.id, session);
  }

  abstract disconnect(session: VoiceSession): Promise<void>;

  /** Outbound audio: one chunk of bytes, or a stream of chunks (paced by the caller). */
  abstract sendAudio(
    session: VoiceSession,
    audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
  ): Promise<void>;

  /**
   * One frame of mono PCM at the session's rate, sent at real time by a channel's pacer (the
   * hot path: every caller, every 20 ms). The default wraps it in a chunk for `sendAudio`;
   * transports that can send at once override it to skip the chunk and the promise. Failures
   * go to `onError`, never thrown.
   */
  sendPacedFrame(session: VoiceSession, frame: AudioFrame, onError: (error: unknown) => void): void {
    const chunk: AudioChunk = {
      data: int16ToBytes(frame.data),
      sampleRate: frame.sampleRate,
      channels: 1,
      format: 'pcm_s16le',
    };
    this.sendAudio(session, chunk).catch(onError);
  }

  /** Stop playback now and drop what is queued. */
  abstract interrupt(session: VoiceSession): void;

  /** Delegates to interrupt; true if something was playing. */
  async cancelAudio(session: VoiceSession): Promise<boolean> {
    const playing = this.isPlaying(session);
    this.interrupt(session);
    return playing;
  }

  isPlaying(_session: VoiceSession): boolean {
    return false;
  }

  /**
   * Of the audio already handed to `sendAudio`, how much (ms) the listener has not been
   * confirmed to hear yet, when the far end reports playback (a carrier echoing the marks sent
   * with the audio); undefined when the transport cannot tell. A channel subtracts it from
   * what it sent to know where the caller stopped hearing (barge-in, a realtime model's
   * truncation). Ask before `interrupt`, which discards what was queued.
   */
  unheardMs(_session: VoiceSession): number | undefined {
    return undefined;
  }

  /**
   * A transport that paces itself (`supportsPlaybackCallback`) reports now the frames that
   * started playing by now, and sends those it owes, rather than on its next timer. The
   * channel asks before it processes each inbound frame: after an event-loop stall the
   * sockets are read before the timers run, and the microphone audio of the stall would meet
   * an echo reference that stopped where the stall began. Default: nothing to do.
   */
  catchUpPlayback(_session: VoiceSession): void {}

  setInputMuted(_session: VoiceSession, _muted: boolean): void {}

  /**
   * Primary-speaker mode: while a session is gated its audio still reaches onAudioReceived
   * listeners (a pipeline may analyse it, e.g. diarization), but the channels do not act on
   * it: the realtime channel does not forward it to the provider, the voice channel does not
   * transcribe it or let it barge in. Unlike muting, the transport keeps delivering frames.
   */
  setInputGated(session: VoiceSession, gated: boolean): void {
    if (gated) this.gatedSessions.add(session.id);
    else this.gatedSessions.delete(session.id);
  }

  isInputGated(session: VoiceSession): boolean {
    return this.gatedSessions.has(session.id);
  }

  /**
   * Called by the owning channel when trace observers are registered (undefined when the
   * last one leaves). Implementations call `emitTrace` at their protocol's key points.
   */
  setTraceEmitter(emitter: TraceEmitter | undefined): void {
    this.traceEmitter = emitter;
  }

  /** Tell the client an AI response ended (for its playback bookkeeping). */
  endOfResponse(_session: VoiceSession): void {}

  /** Transcripts for the client's UI (`isFinal` false: a partial, later ones replace it). */
  async sendTranscription(
    _session: VoiceSession,
    _text: string,
    _role: 'user' | 'assistant' = 'user',
    _isFinal = true,
  ): Promise<void> {}

  /** Tell the client's UI who is speaking (transports with a UI channel override this). */
  sendSpeaking(_session: VoiceSession, _speaking: boolean, _who: 'user' | 'assistant'): void {}

  getSession(id: string): VoiceSession | undefined {
    return this.sessions.get(id);
  }

  /** Sessions this backend holds now (one a call). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  listSessions(roomId: string): VoiceSession[] {
    return this.sessions.inRoom(roomId);
  }

  async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
  }

  onAudioReceived(cb: AudioReceivedCallback): () => void {
    return subscribe(this.audioListeners, cb);
  }

  onSessionReady(cb: SessionCallback): () => void {
    return subscribe(this.readyListeners, cb);
  }

  onBargeIn(cb: SessionCallback): () => void {
    return subscribe(this.bargeInListeners, cb);
  }

  onClientDisconnected(cb: SessionCallback): () => void {
    return subscribe(this.disconnectListeners, cb);
  }

  onAudioPlayed(cb: AudioPlayedCallback): () => void {
    return subscribe(this.playedListeners, cb);
  }

  onSpeakerChange(cb: SpeakerChangeCallback): () => void {
    return subscribe(this.speakerListeners, cb);
  }

  /**
   * A diarizer outside the transport (the voice channel's pipeline stage) heard another
   * speaker on this session: fires the onSpeakerChange listeners as the transport would.
   */
  notifySpeakerChange(session: VoiceSession, result: DiarizationResult): void {
    this.emitSpeakerChange(session, result);
  }

  // ---- for implementations -----------------------------------------------------------

  protected newSession(
    roomId: string,
    participantId: string,
    channelId: string,
    metadata: Record<string, unknown> = {},
  ): VoiceSession {
    return {
      id: newId('voice'),
      roomId,
      participantId,
      channelId,
      state: VoiceSessionState.CONNECTING,
      createdAt: nowIso(),
      metadata,
    };
  }

  protected emitAudio(session: VoiceSession, frame: AudioFrame): void {
    for (const cb of this.audioListeners) cb(session, frame);
  }

  protected emitSessionReady(session: VoiceSession): void {
    session.state = VoiceSessionState.ACTIVE;
    for (const cb of this.readyListeners) cb(session);
  }

  protected emitBargeIn(session: VoiceSession): void {
    for (const cb of this.bargeInListeners) cb(session);
  }

  protected emitClientDisconnected(session: VoiceSession): void {
    session.state = VoiceSessionState.ENDED;
    this.sessions.delete(session.id);
    this.gatedSessions.delete(session.id);
    for (const cb of this.disconnectListeners) cb(session);
  }

  protected emitAudioPlayed(session: VoiceSession, frame: AudioFrame, lateMs?: number): void {
    for (const cb of this.playedListeners) cb(session, frame, lateMs);
  }

  protected emitSpeakerChange(session: VoiceSession, result: DiarizationResult): void {
    for (const cb of this.speakerListeners) cb(session, result);
  }

  /** A trace for the observers, when there are any (cheap to call otherwise). */
  protected emitTrace(trace: Omit<ProtocolTrace, 'timestamp'> & { timestamp?: string }): void {
    const emit = this.traceEmitter;
    if (!emit) return;
    try {
      emit({ ...trace, timestamp: trace.timestamp ?? nowIso() });
    } catch {
      // An observer's failure must never break the transport.
    }
  }

  /** Forget per-session base state (implementations call this from disconnect). */
  protected forgetSession(session: VoiceSession): void {
    this.sessions.delete(session.id);
    this.gatedSessions.delete(session.id);
  }
}

function subscribe<T>(list: T[], cb: T): () => void {
  list.push(cb);
  return () => {
    const i = list.indexOf(cb);
    if (i >= 0) list.splice(i, 1);
  };
}
