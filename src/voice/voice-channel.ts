import { Channel, type ChannelOutput, DEFAULT_CONTENT_TYPES } from '../channels/channel.js';
import { ValidationError } from '../core/errors.js';
import { nowIso } from '../core/ids.js';
import type { HookContext } from '../core/hooks/types.js';
import { type ChannelBinding, ChannelType, HookTrigger, type RoomEvent } from '../models/index.js';
import type { VoiceBackend } from './backends/voice-backend.js';
import {
  createInterruptionStrategy,
  type InterruptionConfig,
  type InterruptionStrategy,
} from './interruption.js';
import { EarlyFrames } from './early-frames.js';
import { PrimarySpeakerGate, type PrimarySpeakerOptions } from './diarization/primary-speaker.js';
import { AudioPipeline, type AudioPipelineConfig } from './pipeline/audio-pipeline.js';
import { EnergyVADProvider } from './pipeline/energy-vad.js';
import type { PacerClock } from './pacer.js';
import { sharedVoiceClock } from './voice-clock.js';
import { METRIC_NAMES, type TurnClock } from './turn-metrics.js';
import type { AudioFrame, STTProvider, TTSProvider, VoiceSession } from './types.js';
import { spokenText } from './voice-text.js';
import { VoiceTurns } from './voice-turns.js';
import type { VoiceChannelHost } from './voice-channel-host.js';
import { reportSessionError } from './voice-errors.js';
import type { SpeakerChangeEvent, TTSCancelledEvent, TTSCancelReason, TurnMetrics } from './voice-hooks.js';
import { type TraceObserver, type TraceObserverOptions, TraceObservers } from './voice-traces.js';
import { VoiceSessionRuntime } from './voice-session-runtime.js';
import { ByRoom } from '../core/by-room.js';
import { fireSessionHook, type SessionHookSource, sessionHookContext } from './session-hooks.js';

/** A backend that reports DTMF digits itself (the RTP and SIP backends). */
export interface DtmfSource {
  onDtmfReceived(
    cb: (session: VoiceSession, event: { digit: string; durationMs?: number; source?: string }) => void,
  ): () => void;
}

/** The providers as `stt`/`tts`, or by the seed's names `sttProvider`/`ttsProvider` (one of each). */
export type VoiceChannelSTT =
  | { stt: STTProvider; sttProvider?: never }
  | { sttProvider: STTProvider; stt?: never };
export type VoiceChannelTTS =
  | { tts: TTSProvider; ttsProvider?: never }
  | { ttsProvider: TTSProvider; tts?: never };

export type VoiceChannelOptions = VoiceChannelSTT & VoiceChannelTTS & VoiceChannelSettings;

export interface VoiceChannelSettings {
  backend: VoiceBackend;
  /** Stages (vad, aec, agc, denoiser, recorder, dtmf, postProcessors) or a ready pipeline. */
  pipeline?: AudioPipelineConfig | AudioPipeline;
  /** Barge-in policy (default immediate); a factory gives each session its own strategy. */
  interruption?: InterruptionConfig | (() => InterruptionStrategy);
  /**
   * Who ends the user's turn: 'vad' (pipeline VAD + batch STT) or 'stt' (a streaming STT that
   * detects turns itself, e.g. Gradium's semantic VAD). Default: 'stt' when the provider can.
   */
  turnTaking?: 'vad' | 'stt';
  voice?: string;
  pacer?: { frameMs?: number; leadMs?: number; batchMs?: number };
  /**
   * The channel's time source: pacing, the echo canceller's timeline and barge-in timing.
   * Default the wall clock (one timing wheel for every call in the process, `sharedVoiceClock`); a ManualClock runs a whole call on virtual time (the echo-loop
   * harness in `roomkit/testing` does).
   */
  clock?: PacerClock;
  /**
   * Primary-speaker mode, with a `diarization` stage in the pipeline: only the first voice
   * heard on each session (or `{ speakerId }`) is transcribed; while others talk the input is
   * gated (`backend.setInputGated`). See PrimarySpeakerGate.
   */
  primarySpeakerMode?: boolean | PrimarySpeakerOptions;
}

/**
 * A voice participant: the cascaded STT -> room -> AI -> TTS path over a VoiceBackend.
 * What the user says becomes a room event (so text channels see it); text events from the
 * room (AI replies) are spoken back, streamed phrase by phrase when the AI streams.
 */
export class VoiceChannel extends Channel implements VoiceChannelHost {
  readonly channelType = ChannelType.VOICE;
  readonly backend: VoiceBackend;
  readonly stt: STTProvider;
  readonly tts: TTSProvider;
  readonly voice?: string;
  readonly pipeline: AudioPipeline;
  readonly turnTaking: 'vad' | 'stt';
  readonly clock: PacerClock;
  private readonly runtimes = new Map<string, VoiceSessionRuntime>();
  private readonly runtimesByRoom = new ByRoom<VoiceSessionRuntime>();
  /** Sessions being bound: startSession and a transport's ready signal may race to bind one. */
  private readonly binding = new Map<string, Promise<VoiceSessionRuntime>>();
  /** Audio of calls still being bound, played in once they are. */
  private readonly early = new EarlyFrames();
  private readonly turns: VoiceTurns;
  private readonly traces: TraceObservers;
  /** Primary-speaker mode's gate, when on. */
  readonly primarySpeaker?: PrimarySpeakerGate;

  constructor(
    id: string,
    private readonly opts: VoiceChannelOptions,
  ) {
    super(id);
    this.capabilities = { contentTypes: DEFAULT_CONTENT_TYPES, streaming: true };
    this.backend = opts.backend;
    this.stt = required(opts.stt ?? opts.sttProvider, 'stt');
    this.tts = required(opts.tts ?? opts.ttsProvider, 'tts');
    if (!this.backend) throw new ValidationError(`voice channel ${id} needs a backend`, undefined, 'backend');
    this.voice = opts.voice;
    this.clock = opts.clock ?? sharedVoiceClock;
    const sttTurns = this.stt.capabilities.streaming && this.stt.capabilities.turnDetection;
    this.turnTaking = opts.turnTaking ?? (sttTurns ? 'stt' : 'vad');
    this.pipeline = this.makePipeline(opts.pipeline);
    this.turns = new VoiceTurns(this);
    this.backend.onAudioReceived((session, frame) => this.onAudio(session, frame));
    // The echo canceller's reference is what the caller hears, when they hear it: from the
    // transport's playback callback where it has one, else from our pacer's sends.
    if (this.echoReference === 'backend') {
      this.backend.onAudioPlayed((session, frame, lateMs) => this.onPlayed(session, frame, lateMs));
    }
    this.backend.onSessionReady((session) => void this.onReady(session));
    this.backend.onBargeIn((session) =>
      this.turns.userStartedSpeaking(this.runtimes.get(session.id), 'backend'),
    );
    this.backend.onClientDisconnected((session) => void this.endSession(session, 'client_disconnected'));
    this.backend.onSpeakerChange((session, result) => {
      if (!this.runtimes.has(session.id)) return;
      const event: SpeakerChangeEvent = { session, channelId: this.id, result, timestamp: nowIso() };
      this.kit?.events.emit('speaker_change', event);
    });
    if (opts.primarySpeakerMode) {
      const o = opts.primarySpeakerMode === true ? {} : opts.primarySpeakerMode;
      this.primarySpeaker = new PrimarySpeakerGate(this.backend, o);
    }
    // Out-of-band digits (RTP/SIP backends: RFC 4733, SIP INFO) fire ON_DTMF like in-band ones.
    (this.backend as Partial<DtmfSource>).onDtmfReceived?.((session, event) =>
      this.fire(HookTrigger.ON_DTMF, { ...event, session }, session),
    );
    this.traces = new TraceObservers(this.backend, id);
  }

  /** Open a session for a participant (what `kit.connectVoice` calls). */
  async startSession(
    roomId: string,
    participantId: string,
    opts: { metadata?: Record<string, unknown> } = {},
  ): Promise<VoiceSession> {
    await this.ensureAttached(roomId);
    const session = await this.backend.connect(roomId, participantId, this.id, {
      metadata: opts.metadata ?? {},
    });
    await this.bindOnce(session);
    return session;
  }

  async endSession(session: VoiceSession, reason = 'ended'): Promise<void> {
    const rt = this.runtimes.get(session.id);
    if (!rt) return;
    this.runtimes.delete(session.id);
    this.runtimesByRoom.delete(session.roomId, rt);
    const cut = rt.interrupt('disconnect');
    if (cut) this.ttsCancelled(session, 'disconnect', cut);
    rt.close();
    this.turns.detach(rt);
    const { recording } = rt.pipeline.close();
    if (recording) {
      this.fire(HookTrigger.ON_RECORDING_STOPPED, { session, recording, timestamp: nowIso() }, session);
    }
    if (reason !== 'client_disconnected') await this.backend.disconnect(session);
    this.fire(HookTrigger.ON_SESSION_ENDED, { session, reason }, session);
  }

  /**
   * Stop what the session is saying now (the seed's explicit interrupt): playback stops, queued
   * replies are dropped, ON_TTS_CANCELLED fires with reason 'explicit'. False if it was silent.
   */
  interrupt(session: VoiceSession): boolean {
    const rt = this.runtimes.get(session.id);
    const cut = rt?.interrupt('explicit');
    if (!cut) return false;
    this.ttsCancelled(session, 'explicit', cut);
    return true;
  }

  getRuntime(sessionId: string): VoiceSessionRuntime | undefined {
    return this.runtimes.get(sessionId);
  }

  sessionsIn(roomId: string): VoiceSessionRuntime[] {
    return this.runtimesByRoom.list(roomId);
  }

  /** Room text from others (AI replies, typed messages) is spoken to the room's sessions. */
  override async deliver(event: RoomEvent, _binding: ChannelBinding): Promise<ChannelOutput> {
    const text = spokenText(event);
    if (!text) return {};
    const streamId = event.metadata.streamId;
    for (const rt of this.runtimesByRoom.in(event.roomId)) {
      if (typeof streamId === 'string' && rt.spokenStreams.delete(streamId)) continue;
      // A reply that was not streamed: its whole text is the first token.
      if (rt.turn?.mark('firstTokenMs')) this.metric(rt, 'firstTokenMs');
      void rt.speak(text);
    }
    return {};
  }

  /** A streamed AI reply: start speaking at the first phrase, before the reply is complete. */
  override async deliverStreamDelta(delta: {
    roomId: string;
    streamId: string;
    text: string;
    done: boolean;
  }) {
    for (const rt of this.runtimesByRoom.in(delta.roomId)) this.turns.streamDelta(rt, delta);
  }

  override async close(): Promise<void> {
    for (const rt of [...this.runtimes.values()]) await this.endSession(rt.session, 'channel_closed');
    this.pipeline.close();
    this.primarySpeaker?.close();
  }

  // ---- VoiceChannelHost ------------------------------------------------------------------

  async beforeTts(session: VoiceSession, text: string): Promise<string | undefined> {
    const kit = this.kit;
    if (!kit?.hooks.has(HookTrigger.BEFORE_TTS)) return text;
    const outcome = await kit.hooks.runSync(
      HookTrigger.BEFORE_TTS,
      { session, text, voice: this.voice },
      this.ctx(HookTrigger.BEFORE_TTS, session, 'outbound'),
    );
    return outcome.allowed ? outcome.payload.text : undefined;
  }

  afterTts(session: VoiceSession, text: string, durationMs: number, interrupted: boolean): void {
    this.fire(
      HookTrigger.AFTER_TTS,
      { session, text, voice: this.voice, durationMs, interrupted },
      session,
      'outbound',
    );
  }

  metric(rt: VoiceSessionRuntime, name: keyof TurnMetrics): void {
    const valueMs = rt.turn?.metrics[name];
    if (valueMs === undefined) return;
    this.kit?.events.emit('metric', {
      name: METRIC_NAMES[name],
      valueMs,
      roomId: rt.session.roomId,
      sessionId: rt.session.id,
    });
  }

  turnComplete(rt: VoiceSessionRuntime): void {
    const turn = rt.turn;
    if (!turn) return;
    // Every mark is made: the session lets go of the turn now, so it dies young instead of
    // waiting (and being promoted) until the next turn replaces it. The turn's own step in
    // VoiceTurns keeps it until its trace is written.
    rt.turn = undefined;
    this.traceTurn(rt, turn);
    this.fire(
      HookTrigger.ON_TURN_COMPLETE,
      { session: rt.session, transcript: this.turns.lastTranscript(rt), metrics: turn.metrics },
      rt.session,
    );
  }

  /**
   * @internal A turn as an OpenTelemetry trace, once both its first audio went out and the room
   * event of its transcript is known (whichever comes last writes it).
   */
  traceTurn(rt: VoiceSessionRuntime, turn: TurnClock): void {
    if (turn.traced || !turn.complete || turn.eventId === undefined) return;
    turn.traced = true;
    this.kit?.telemetry.voiceTurn(turn, {
      'roomkit.room.id': rt.session.roomId,
      'roomkit.channel.id': this.id,
      'roomkit.voice.session.id': rt.session.id,
    });
  }

  /** @internal ON_TTS_CANCELLED for speech cut short, with what had been heard. */
  ttsCancelled(
    session: VoiceSession,
    reason: TTSCancelReason,
    heard: { playedMs: number; text: string },
  ): void {
    const event: TTSCancelledEvent = {
      session,
      reason,
      text: heard.text,
      audioPositionMs: heard.playedMs,
      timestamp: nowIso(),
    };
    this.fire(HookTrigger.ON_TTS_CANCELLED, event, session, 'outbound');
  }

  reportError(session: VoiceSession, stage: string, error: unknown): void {
    reportSessionError(this.hookSource, session, stage, error, 'voice session error');
  }

  /**
   * Observe the transport's protocol traces (the seed's on_trace): SIP requests, socket
   * opens and closes... `protocols` narrows them. Returns the unsubscribe function.
   */
  onTrace(observer: TraceObserver, opts?: TraceObserverOptions): () => void {
    return this.traces.add(observer, opts);
  }

  /** @internal */
  get hookSource(): SessionHookSource {
    return { kit: this.kit, channelId: this.id, channelType: this.channelType };
  }

  // ---- internals -----------------------------------------------------------------------

  /** @internal Run an async hook for a session (tracked, never awaited on the audio path). */
  fire(
    trigger: HookTrigger,
    payload: unknown,
    session: VoiceSession,
    direction: 'inbound' | 'outbound' = 'inbound',
  ): void {
    fireSessionHook(this.hookSource, trigger, payload, session, direction);
  }

  /** @internal */
  ctx(trigger: HookTrigger, session: VoiceSession, direction: 'inbound' | 'outbound'): HookContext {
    return sessionHookContext({ ...this.hookSource, kit: this.kit! }, trigger, session, direction);
  }

  /** Per frame: the binding gate first (changes apply on the next frame), then the pipeline. */
  private onAudio(session: VoiceSession, frame: AudioFrame): void {
    const rt = this.runtimes.get(session.id);
    if (!rt) {
      if (this.binding.has(session.id)) this.early.hold(session.id, frame);
      return;
    }
    if (!this.kit || !rt.inputGate.allows(this.kit, this.id)) return;
    // The echo reference up to now first: this frame's echo is in it (see catchUpPlayback).
    if (this.backend.supportsPlaybackCallback) this.backend.catchUpPlayback(session);
    let processed: AudioFrame;
    try {
      processed = rt.pipeline.processInbound(frame);
    } catch (error) {
      // Wrong rate or shape from the transport: drop the frame, keep the session.
      this.reportError(session, 'inbound', error);
      return;
    }
    this.turns.afterFrame(rt, processed);
  }

  /**
   * Who feeds the echo canceller's reference: the transport itself (`feedsAecReference`),
   * our subscription to its playback callback, or our pacer as it sends each frame.
   */
  private get echoReference(): 'none' | 'backend' | 'pacer' {
    if (this.backend.feedsAecReference) return 'none';
    return this.backend.supportsPlaybackCallback ? 'backend' : 'pacer';
  }

  /** A frame the transport just played to the caller: the echo reference. */
  private onPlayed(session: VoiceSession, frame: AudioFrame, lateMs?: number): void {
    const rt = this.runtimes.get(session.id);
    if (!rt) return;
    try {
      // A backend that models playout says how late this callback runs: the frame started
      // then, exactly (after an underrun, on arrival; otherwise right after the previous one).
      if (lateMs === undefined) rt.pipeline.feedAecReference(frame);
      else rt.pipeline.feedAecReference(frame, this.clock.now() - lateMs, true);
    } catch (error) {
      this.reportError(session, 'aec_reference', error);
    }
  }

  private async onReady(session: VoiceSession): Promise<void> {
    try {
      // A transport may be ready inside connect(), before startSession got to bind.
      const rt = this.runtimes.get(session.id) ?? (await this.bindOnce(session));
      rt.ready = true;
      this.maybeStarted(rt);
    } catch (error) {
      this.reportError(session, 'session_ready', error);
    }
  }

  /** Binds a session once, whoever asks first (startSession or the transport's ready signal). */
  private bindOnce(session: VoiceSession): Promise<VoiceSessionRuntime> {
    let pending = this.binding.get(session.id);
    if (!pending) {
      pending = this.bind(session).finally(() => {
        this.binding.delete(session.id);
        this.early.take(session.id); // a bind that failed: its early audio goes nowhere
      });
      this.binding.set(session.id, pending);
    }
    return pending;
  }

  private async bind(session: VoiceSession): Promise<VoiceSessionRuntime> {
    await this.ensureAttached(session.roomId);
    const rate = this.backend.sampleRateFor(session);
    const pipelineSession = await this.pipeline.createSession(session.id, {
      inputSampleRate: rate,
      outputSampleRate: rate,
      capabilities: this.backend.capabilities,
      referenceAtPlayback: true,
      clock: this.clock,
    });
    const strategy =
      typeof this.opts.interruption === 'function'
        ? this.opts.interruption()
        : createInterruptionStrategy(this.opts.interruption);
    const rt = new VoiceSessionRuntime(session, pipelineSession, strategy, this, {
      // The channel's own pacer settings replace the transport's whole (they go together).
      ...(this.opts.pacer ?? this.backend.pacing),
      clock: this.clock,
      echoReference: this.echoReference === 'pacer',
    });
    this.runtimes.set(session.id, rt);
    this.runtimesByRoom.add(session.roomId, rt);
    this.turns.attach(rt);
    const recorder = this.pipeline.config.recorder;
    if (recorder) {
      const event = { session, recorder: recorder.name, timestamp: nowIso() };
      this.fire(HookTrigger.ON_RECORDING_STARTED, event, session);
    }
    this.maybeStarted(rt);
    for (const frame of this.early.take(session.id)) this.onAudio(session, frame);
    return rt;
  }

  /** ON_SESSION_STARTED needs both signals: the channel bound the session and the transport is live. */
  private maybeStarted(rt: VoiceSessionRuntime): void {
    if (rt.started || !rt.ready) return;
    rt.started = true;
    this.fire(HookTrigger.ON_SESSION_STARTED, { session: rt.session }, rt.session);
  }

  private async ensureAttached(roomId: string): Promise<void> {
    const kit = this.kit;
    if (!kit) throw new Error(`voice channel ${this.id} is not registered with a kit`);
    if (!(await kit.getBinding(roomId, this.id))) await kit.attachChannel(roomId, this.id);
  }

  private makePipeline(config: AudioPipelineConfig | AudioPipeline | undefined): AudioPipeline {
    if (config instanceof AudioPipeline) return config;
    const stages = { ...config };
    // VAD-driven turns need a VAD; energy VAD is the dependency-free default.
    if (this.turnTaking === 'vad' && !stages.vad) stages.vad = new EnergyVADProvider();
    return new AudioPipeline(stages);
  }
}

function required<T>(provider: T | undefined, name: 'stt' | 'tts'): T {
  if (provider) return provider;
  throw new ValidationError(`a voice channel needs ${name} (or ${name}Provider)`, undefined, name);
}
