import { bytesToInt16, createAudioFrame, splitIntoFrames } from '../audio/index.js';
import { OutboundPacer, type PacerClock, systemClock } from '../pacer.js';
import type { AudioChunk, AudioFrame, DiarizationResult, VoiceSession } from '../types.js';
import { VoiceCapability, VoiceSessionState } from '../types.js';
import { type ConnectOptions, VoiceBackend } from './voice-backend.js';

/** One recorded call on the mock (the seed's MockVoiceCall). */
export interface MockVoiceCall {
  method:
    | 'connect'
    | 'disconnect'
    | 'sendAudio'
    | 'interrupt'
    | 'cancelAudio'
    | 'setInputMuted'
    | 'sendTranscription'
    | 'sendSpeaking'
    | 'endOfResponse';
  sessionId: string;
  args: Record<string, unknown>;
}

export interface MockVoiceBackendOptions {
  /** VoiceCapability flags to declare (default NONE, as in the seed). */
  capabilities?: VoiceCapability;
  /** Rate the sessions deliver and expect (default 16000; `metadata.sampleRate` overrides per session). */
  sampleRate?: number;
  /**
   * Play sent audio at real time (default true): `isPlaying` stays true for the audio's
   * duration and onAudioPlayed fires frame by frame. False plays everything at once.
   */
  playbackRealtime?: boolean;
  /** Clock for real-time playback (inject a ManualClock for deterministic tests). */
  clock?: PacerClock;
  /** Played frame length (default 20 ms). */
  frameMs?: number;
  /**
   * connect() makes the session live at once: state 'active' and onSessionReady fired, as the
   * seed's mock does (default true). False keeps it 'connecting' until `simulateSessionReady`,
   * for tests of the not-yet-ready path.
   */
  readyOnConnect?: boolean;
}

/** One chunk of audio the mock was sent (the seed's `sent_audio` entries). */
export interface MockSentAudio {
  sessionId: string;
  /** PCM s16le bytes (or the encoded bytes as sent, for non-PCM chunks), a copy. */
  data: Uint8Array;
}

interface MockSessionState {
  pacer?: OutboundPacer;
  /** Bumped by interrupt so a stream being sent stops at its next chunk. */
  generation: number;
  inputMuted: boolean;
  forcedPlaying: boolean;
}

/**
 * In-memory voice backend for tests: records every call, keeps the audio it was sent, plays
 * it back on a (real or injected) clock, and lets tests fire the transport's events with
 * the `simulate*` helpers.
 */
export class MockVoiceBackend extends VoiceBackend {
  readonly name = 'mock';
  override readonly capabilities: VoiceCapability;
  override readonly supportsPlaybackCallback = true;
  readonly calls: MockVoiceCall[] = [];
  /** Every chunk of audio sent, in order, one entry per chunk as received (all sessions). */
  readonly sentAudio: MockSentAudio[] = [];
  /** Final transcripts sent to each session's client UI. */
  readonly sentTranscriptions = new Map<string, { text: string; role: 'user' | 'assistant' }[]>();
  private readonly options: MockVoiceBackendOptions;
  private readonly state = new Map<string, MockSessionState>();

  constructor(options: MockVoiceBackendOptions = {}) {
    super();
    this.options = options;
    this.capabilities = options.capabilities ?? VoiceCapability.NONE;
  }

  /** The backend's rate, or a per-session `metadata.sampleRate` given to connect(). */
  override sampleRateFor(session: VoiceSession): number {
    const own = session.metadata.sampleRate;
    return typeof own === 'number' ? own : (this.options.sampleRate ?? 16000);
  }

  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ): Promise<VoiceSession> {
    const session = await super.connect(roomId, participantId, channelId, opts);
    this.record('connect', session, { roomId, participantId, channelId, metadata: opts.metadata });
    this.traceStep(session, 'outbound', 'connect');
    if (this.options.readyOnConnect !== false) {
      this.traceStep(session, 'inbound', 'session ready');
      this.emitSessionReady(session);
    }
    return session;
  }

  async disconnect(passed: VoiceSession): Promise<void> {
    const session = this.own(passed);
    this.record('disconnect', session);
    this.traceStep(session, 'outbound', 'disconnect');
    this.stopPlayback(session);
    this.state.delete(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
  }

  async sendAudio(
    session: VoiceSession,
    audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
  ): Promise<void> {
    const st = this.stateOf(session);
    if (audio instanceof Uint8Array) {
      this.record('sendAudio', session, { kind: 'bytes', bytes: audio.byteLength });
      this.deliver(session, audio, this.sampleRateFor(session));
    } else if (isAsyncIterable(audio)) {
      const call = this.record('sendAudio', session, { kind: 'stream', bytes: 0 });
      const generation = st.generation;
      for await (const chunk of audio) {
        // An interrupt while the stream was open cancels the rest of it.
        if (st.generation !== generation) break;
        call.args.bytes = (call.args.bytes as number) + chunk.data.byteLength;
        this.deliverChunk(session, chunk);
      }
    } else {
      this.record('sendAudio', session, { kind: 'chunk', bytes: audio.data.byteLength });
      this.deliverChunk(session, audio);
    }
  }

  interrupt(session: VoiceSession): void {
    this.record('interrupt', session);
    this.stopPlayback(session);
  }

  override async cancelAudio(session: VoiceSession): Promise<boolean> {
    this.record('cancelAudio', session);
    return super.cancelAudio(session);
  }

  override isPlaying(session: VoiceSession): boolean {
    const st = this.state.get(session.id);
    return !!st && (st.forcedPlaying || (st.pacer?.isPlaying ?? false));
  }

  override setInputMuted(session: VoiceSession, muted: boolean): void {
    this.record('setInputMuted', session, { muted });
    this.stateOf(session).inputMuted = muted;
  }

  isInputMuted(session: VoiceSession): boolean {
    return this.state.get(session.id)?.inputMuted ?? false;
  }

  override endOfResponse(session: VoiceSession): void {
    this.record('endOfResponse', session);
  }

  /** Every call is in `calls`; final transcripts are also kept in `sentTranscriptions`. */
  override async sendTranscription(
    session: VoiceSession,
    text: string,
    role: 'user' | 'assistant' = 'user',
    isFinal = true,
  ): Promise<void> {
    this.record('sendTranscription', session, { text, role, isFinal });
    if (isFinal) listFor(this.sentTranscriptions, session.id).push({ text, role });
  }

  override sendSpeaking(session: VoiceSession, speaking: boolean, who: 'user' | 'assistant'): void {
    this.record('sendSpeaking', session, { speaking, who });
  }

  // ---- test helpers -------------------------------------------------------------------

  /** The chunks sent to one session, in order. */
  sentAudioOf(session: VoiceSession): Uint8Array[] {
    return this.sentAudio.filter((a) => a.sessionId === session.id).map((a) => a.data);
  }

  /** Everything sent to a session, concatenated (for byte-exact assertions). */
  sentBytes(session: VoiceSession): Uint8Array {
    const chunks = this.sentAudioOf(session);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  /** Calls of one method (optionally for one session). */
  callsOf(method: MockVoiceCall['method'], session?: VoiceSession): MockVoiceCall[] {
    return this.calls.filter((c) => c.method === method && (!session || c.sessionId === session.id));
  }

  /** Inbound audio from the "client" (dropped while input is muted, like a real transport). */
  async simulateAudioReceived(
    session: VoiceSession,
    frame: AudioFrame | Int16Array | Uint8Array,
  ): Promise<void> {
    const own = this.own(session);
    if (this.isInputMuted(own)) return;
    const rate = this.sampleRateFor(own);
    const f =
      frame instanceof Int16Array
        ? createAudioFrame(frame, rate)
        : frame instanceof Uint8Array
          ? createAudioFrame(bytesToInt16(frame.subarray(0, frame.byteLength & ~1)), rate)
          : frame;
    this.emitAudio(own, f);
  }

  async simulateBargeIn(session: VoiceSession): Promise<void> {
    this.emitBargeIn(this.own(session));
  }

  async simulateSessionReady(session: VoiceSession): Promise<void> {
    const own = this.own(session);
    this.sessions.set(own.id, own);
    this.traceStep(own, 'inbound', 'session ready');
    this.emitSessionReady(own);
  }

  /** The client went away: playback stops, the session ends, listeners hear about it. */
  async simulateClientDisconnected(session: VoiceSession): Promise<void> {
    const own = this.own(session);
    this.stopPlayback(own);
    this.state.delete(own.id);
    this.traceStep(own, 'inbound', 'client disconnected');
    this.emitClientDisconnected(own);
  }

  /** A diarizer noticed another speaker (fires onSpeakerChange listeners). */
  async simulateSpeakerChange(session: VoiceSession, result: DiarizationResult): Promise<void> {
    this.emitSpeakerChange(this.own(session), result);
  }

  /** Force `isPlaying` true (barge-in tests without sending audio). */
  startPlaying(session: VoiceSession): void {
    this.stateOf(session).forcedPlaying = true;
  }

  stopPlaying(session: VoiceSession): void {
    this.stateOf(session).forcedPlaying = false;
  }

  // ---- internals ----------------------------------------------------------------------

  private record(method: MockVoiceCall['method'], session: VoiceSession, args: Record<string, unknown> = {}) {
    const call: MockVoiceCall = { method, sessionId: session.id, args };
    this.calls.push(call);
    return call;
  }

  /**
   * The backend's own session for one passed by id: a channel's session object (the realtime
   * channel's, for instance) shares the id, so tests may pass whichever they hold.
   */
  private own(session: VoiceSession): VoiceSession {
    return this.sessions.get(session.id) ?? session;
  }

  private traceStep(session: VoiceSession, direction: 'inbound' | 'outbound', summary: string): void {
    this.emitTrace({ protocol: 'mock', direction, summary, sessionId: session.id, roomId: session.roomId });
  }

  private stateOf(session: VoiceSession): MockSessionState {
    let st = this.state.get(session.id);
    if (!st) {
      st = { generation: 0, inputMuted: false, forcedPlaying: false };
      this.state.set(session.id, st);
    }
    return st;
  }

  private stopPlayback(session: VoiceSession): void {
    const st = this.state.get(session.id);
    if (!st) return;
    st.generation++;
    st.forcedPlaying = false;
    st.pacer?.interrupt();
    st.pacer?.reset();
  }

  private deliverChunk(session: VoiceSession, chunk: AudioChunk): void {
    // Only PCM has a duration the mock can play; other encodings are recorded as-is.
    const rate = chunk.format === 'pcm_s16le' ? chunk.sampleRate : 0;
    this.deliver(session, chunk.data, rate);
  }

  private deliver(session: VoiceSession, bytes: Uint8Array, rate: number): void {
    const copy = bytes.slice(); // the caller may reuse its buffer
    this.sentAudio.push({ sessionId: session.id, data: copy });
    if (rate <= 0 || copy.byteLength < 2) return;
    const pcm = bytesToInt16(copy.subarray(0, copy.byteLength & ~1));
    if (this.options.playbackRealtime === false) {
      for (const frame of splitIntoFrames(pcm, rate, this.options.frameMs ?? 20)) {
        this.emitAudioPlayed(session, frame);
      }
      return;
    }
    this.pacerFor(session, rate).push(pcm);
  }

  private pacerFor(session: VoiceSession, rate: number): OutboundPacer {
    const st = this.stateOf(session);
    if (st.pacer?.sampleRate !== rate) {
      st.pacer?.interrupt();
      st.pacer = new OutboundPacer({
        sampleRate: rate,
        frameMs: this.options.frameMs,
        clock: this.options.clock ?? systemClock,
        // The mock has no wire: "sending" is a no-op and playback is the event that matters.
        send: () => {},
        onPlayed: (frame) => this.emitAudioPlayed(session, frame),
      });
    }
    return st.pacer;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<AudioChunk> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function listFor<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}
