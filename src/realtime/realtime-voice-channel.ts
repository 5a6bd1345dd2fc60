import { Channel, type ChannelOutput, DEFAULT_CONTENT_TYPES } from '../channels/channel.js';
import { errorMessage, RoomKitError } from '../core/errors.js';
import { type ChannelBinding, ChannelType, HookTrigger, type RoomEvent } from '../models/index.js';
import { int16ToBytes } from '../voice/audio/pcm.js';
import type { VoiceBackend } from '../voice/backends/voice-backend.js';
import type { AudioFrame, VoiceSession } from '../voice/types.js';
import type { RealtimeVoiceProvider } from './provider.js';
import {
  RealtimeConnectError,
  type RealtimeVoiceChannelOptions,
  type RealtimeVoiceSession,
  type ReconfigureRealtimeSessionOptions,
  type StartRealtimeSessionOptions,
} from './realtime-channel-types.js';
import { carryOverPrompt } from './realtime-handoff.js';
import { RealtimeSessionEvents } from './realtime-session-events.js';
import { RealtimeSessionRuntime } from './realtime-session-runtime.js';
import { EchoCanceller } from '../voice/echo/echo-canceller.js';
import { defined, sessionConfigFor } from './realtime-session-config.js';
import { spokenText } from '../voice/voice-text.js';
import { RealtimeToolSet } from './realtime-tools.js';
import type { RealtimeReconfigureOptions, RealtimeSession, RealtimeSessionConfig } from './session.js';
import { fireSessionHook } from '../voice/session-hooks.js';
import type { DtmfSource } from '../voice/voice-channel.js';
import './realtime-hooks.js';
import { nowIso } from '../core/ids.js';
import { ByRoom } from '../core/by-room.js';
import { reportSessionError } from '../voice/voice-errors.js';
import type { SpeakerChangeEvent } from '../voice/voice-hooks.js';
import { type TraceObserver, type TraceObserverOptions, TraceObservers } from '../voice/voice-traces.js';

/**
 * Speech-to-speech participant: a transport (any VoiceBackend) carries the caller's audio
 * straight to a realtime provider (OpenAI, Gemini Live, xAI, ElevenLabs) and the model's
 * audio back. Final transcripts of both sides become room events, so text channels follow
 * the call; text from other channels in the room is sent to the model as user turns.
 */
export class RealtimeVoiceChannel extends Channel {
  readonly channelType = ChannelType.REALTIME_VOICE;
  readonly provider: RealtimeVoiceProvider;
  readonly transport: VoiceBackend;
  /** @internal */ readonly options: RealtimeVoiceChannelOptions;
  private readonly runtimes = new Map<string, RealtimeSessionRuntime>();
  private readonly runtimesByRoom = new ByRoom<RealtimeSessionRuntime>();
  /** Provider session id -> runtime: provider events name their provider session. */
  private readonly byProvider = new Map<string, RealtimeSessionRuntime>();
  private readonly tools: RealtimeToolSet;
  private readonly events: RealtimeSessionEvents;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly traces: TraceObservers;

  constructor(id: string, options: RealtimeVoiceChannelOptions) {
    super(id);
    this.options = options;
    this.provider = options.provider;
    this.transport = options.transport;
    this.capabilities = { contentTypes: DEFAULT_CONTENT_TYPES };
    this.tools = new RealtimeToolSet(options.tools);
    this.events = new RealtimeSessionEvents(this, (ps) => this.byProvider.get(ps.id));
    const t = this.transport;
    this.unsubscribe.push(
      t.onAudioReceived((session, frame) => this.onTransportAudio(session, frame)),
      t.onAudioPlayed((session, frame, lateMs) => this.onTransportPlayed(session, frame, lateMs)),
      t.onSessionReady((session) => this.onTransportReady(session)),
      t.onClientDisconnected((session) => void this.endSession(session.id, 'client_disconnected')),
      // Digits from the phone (RFC 4733, SIP INFO) fire ON_DTMF, as in a VoiceChannel.
      (t as Partial<DtmfSource>).onDtmfReceived?.((ts, event) => {
        const session = this.getSession(ts.id);
        if (session) fireSessionHook(this.hookSource, HookTrigger.ON_DTMF, { ...event, session }, session);
      }) ?? (() => {}),
      t.onSpeakerChange((ts, result) => {
        const session = this.getSession(ts.id);
        if (!session) return;
        const event: SpeakerChangeEvent = { session, channelId: this.id, result, timestamp: nowIso() };
        this.kit?.events.emit('speaker_change', event);
      }),
      ...this.events.subscribe(this.provider),
    );
    this.traces = new TraceObservers(t, id);
  }

  /** Sessions not yet ended. */
  get sessions(): RealtimeVoiceSession[] {
    return [...this.runtimes.values()].map((rt) => rt.session);
  }

  getSession(id: string): RealtimeVoiceSession | undefined {
    return this.runtimes.get(id)?.session;
  }

  sessionsIn(roomId: string): RealtimeVoiceSession[] {
    return this.runtimesByRoom.list(roomId).map((rt) => rt.session);
  }

  /**
   * Open a transport session for a participant and a provider session for it. Resolves once
   * the provider accepted the configuration (state 'active'); audio that arrives before is
   * buffered. On failure nothing stays open and the promise rejects with a RealtimeConnectError.
   */
  async startSession(
    roomId: string,
    participantId: string,
    opts: StartRealtimeSessionOptions = {},
  ): Promise<RealtimeVoiceSession> {
    await this.ensureAttached(roomId);
    let ts: VoiceSession;
    try {
      ts = await this.transport.connect(roomId, participantId, this.id, { metadata: opts.metadata });
    } catch (error) {
      throw new RealtimeConnectError('transport', errorMessage(error), error);
    }
    try {
      if (opts.connection !== undefined) await this.transport.accept(ts, opts.connection);
    } catch (error) {
      await this.transport.disconnect(ts).catch(() => {});
      throw new RealtimeConnectError('transport', errorMessage(error), error);
    }
    return this.open(ts, opts);
  }

  /** Change prompt, voice, tools... the provider's way (live, resumed, or a new connection). */
  async reconfigureSession(id: string, opts: ReconfigureRealtimeSessionOptions): Promise<void> {
    const rt = this.runtimes.get(id);
    const ps = rt?.session.providerSession;
    if (!rt || !ps || rt.session.state !== 'active') {
      throw new RoomKitError(`realtime session ${id} is not active`, { code: 'session_not_active' });
    }
    if (opts.tools) rt.tools = new RealtimeToolSet(opts.tools);
    if (opts.systemPrompt !== undefined) rt.basePrompt = opts.systemPrompt;
    const change: RealtimeReconfigureOptions = defined({
      systemPrompt: opts.systemPrompt,
      voice: opts.voice,
      tools: opts.tools ? rt.tools.definitions : undefined,
      temperature: opts.temperature,
      providerConfig: opts.providerConfig && { ...rt.config.providerConfig, ...opts.providerConfig },
    });
    rt.config = { ...rt.config, ...change, systemPrompt: rt.basePrompt };
    // A vendor that reconnects starts blank: the conversation so far travels in the prompt.
    if (this.provider.capabilities.reconfigure === 'reconnect' && !rt.transcript.isEmpty) {
      change.systemPrompt = carryOverPrompt(rt.basePrompt, rt.transcript);
    }
    await this.provider.reconfigure(ps, change);
  }

  /** End a session (idempotent): provider and transport sessions closed, ON_SESSION_ENDED fired. */
  async endSession(session: string | VoiceSession, reason = 'ended', error?: RoomKitError): Promise<void> {
    const rt = this.runtimes.get(typeof session === 'string' ? session : session.id);
    if (!rt) return;
    await this.teardown(rt, reason, error);
    fireSessionHook(
      this.hookSource,
      HookTrigger.ON_SESSION_ENDED,
      { session: rt.session, reason },
      rt.session,
    );
    this.kit?.events.emit('realtime_session_ended', { session: rt.session, reason, error });
  }

  /** Room text from other channels (a typed chat message, an agent's note) goes to the model. */
  override async deliver(event: RoomEvent, _binding: ChannelBinding): Promise<ChannelOutput> {
    if (event.source.channelId === this.id) return {};
    const text = spokenText(event);
    if (!text) return {};
    const sends: Promise<void>[] = [];
    for (const rt of this.runtimesByRoom.in(event.roomId)) {
      if (rt.session.state === 'connecting') rt.pendingText.push(text);
      else sends.push(this.sendText(rt, text));
    }
    await Promise.all(sends);
    return {};
  }

  override async close(): Promise<void> {
    for (const rt of [...this.runtimes.values()]) await this.endSession(rt.session.id, 'channel_closed');
    for (const off of this.unsubscribe.splice(0)) off();
  }

  // ---- used by RealtimeSessionEvents ---------------------------------------------------

  /** @internal */
  get hookSource() {
    return { kit: this.kit, channelId: this.id, channelType: this.channelType };
  }

  /** @internal A typed error, logged and surfaced as the `channel_error` framework event. */
  reportError(session: VoiceSession, stage: string, error: unknown): void {
    reportSessionError(this.hookSource, session, stage, error, 'realtime session error');
  }

  /** Observe the transport's protocol traces (the seed's on_trace). Returns the unsubscribe function. */
  onTrace(observer: TraceObserver, opts?: TraceObserverOptions): () => void {
    return this.traces.add(observer, opts);
  }

  /**
   * @internal Move the conversation to a new provider session (non-resumable goAway, session
   * limit) without dropping the caller: the new one inherits the transcript in its prompt.
   */
  async rollover(rt: RealtimeSessionRuntime, reason: string): Promise<void> {
    if (rt.rolling || rt.session.state !== 'active') return;
    rt.rolling = true;
    const old = rt.session.providerSession;
    try {
      const ps = await this.provider.connect({
        ...rt.config,
        systemPrompt: carryOverPrompt(rt.basePrompt, rt.transcript),
      });
      if (hasEnded(rt.session)) {
        await this.provider.disconnect(ps);
        return;
      }
      if (old) this.byProvider.delete(old.id);
      this.adopt(rt, ps);
      if (old && old.state !== 'ended') await this.provider.disconnect(old);
      this.kit?.events.emit('realtime_session_rollover', { session: rt.session, reason });
    } catch (error) {
      this.reportError(rt.session, 'rollover', error);
      if (!old || old.state === 'ended') {
        const typed = error instanceof RoomKitError ? error : undefined;
        await this.endSession(rt.session.id, 'provider-error', typed);
      }
    } finally {
      rt.rolling = false;
    }
  }

  // ---- internals -----------------------------------------------------------------------

  private async open(
    ts: VoiceSession,
    overrides: StartRealtimeSessionOptions,
  ): Promise<RealtimeVoiceSession> {
    const o = this.options;
    const session: RealtimeVoiceSession = {
      id: ts.id,
      roomId: ts.roomId,
      participantId: ts.participantId,
      channelId: this.id,
      state: 'connecting',
      createdAt: ts.createdAt,
      metadata: { ...ts.metadata, ...overrides.metadata },
      transportSession: ts,
    };
    const config = sessionConfigFor(o, this.tools, session.metadata, overrides);
    const rate = o.transportSampleRate ?? this.transport.sampleRateFor(ts);
    const rt = new RealtimeSessionRuntime(session, rate, config, this.tools, o.carryOverChars ?? 4000);
    this.runtimes.set(session.id, rt);
    this.runtimesByRoom.add(session.roomId, rt);
    const startedAt = performance.now();
    let ps: RealtimeSession;
    try {
      await rt.open({
        ...o.pacer,
        send: (frame) => this.sendToTransport(rt, frame),
        onDrained: () => this.transport.endOfResponse(ts),
        onError: (error) => this.reportError(session, 'send', error),
      });
      rt.echo = await this.echoCancellerFor(rt);
      ps = await this.provider.connect(defined(config) as RealtimeSessionConfig);
    } catch (error) {
      await this.teardown(rt, 'connect_failed');
      throw new RealtimeConnectError('provider', errorMessage(error), error);
    }
    if (hasEnded(session)) {
      // endSession() ran while we were connecting: it cleaned up all but this.
      await this.provider.disconnect(ps).catch(() => {});
      throw new RealtimeConnectError('cancelled', `session ${session.id} was ended while connecting`);
    }
    this.adopt(rt, ps);
    session.state = 'active';
    for (const text of rt.pendingText.splice(0)) void this.sendText(rt, text);
    this.kit?.events.emit('metric', {
      name: 'realtime.connect_ms',
      valueMs: performance.now() - startedAt,
      roomId: session.roomId,
      sessionId: session.id,
      labels: { provider: this.provider.name },
    });
    fireSessionHook(this.hookSource, HookTrigger.ON_SESSION_STARTED, { session }, session);
    return session;
  }

  /** Make `ps` the session's provider session: route its events here, flush buffered audio. */
  private adopt(rt: RealtimeSessionRuntime, ps: RealtimeSession): void {
    rt.session.providerSession = ps;
    rt.session.providerSessionId = ps.providerSessionId;
    this.byProvider.set(ps.id, rt);
    for (const pcm of rt.takePending()) this.provider.sendAudio(ps, pcm);
    clearTimeout(rt.rolloverTimer);
    const { maxSessionMs, sessionResumption } = this.provider.capabilities;
    if (maxSessionMs !== undefined && !sessionResumption) {
      // Roll over before the vendor cuts us off mid-sentence.
      const lead = this.options.rolloverLeadMs ?? 30_000;
      rt.rolloverTimer = setTimeout(
        () => void this.rollover(rt, 'session-limit'),
        Math.max(0, maxSessionMs - lead),
      );
      rt.rolloverTimer.unref();
    }
  }

  private async teardown(rt: RealtimeSessionRuntime, reason: string, error?: RoomKitError): Promise<void> {
    const { session } = rt;
    if (this.runtimes.get(session.id) !== rt) return;
    this.runtimes.delete(session.id);
    this.runtimesByRoom.delete(session.roomId, rt);
    session.state = 'ended';
    session.endReason = reason;
    session.error = error;
    rt.close();
    const ps = session.providerSession;
    if (ps) {
      this.byProvider.delete(ps.id);
      if (ps.state !== 'ended')
        await this.provider.disconnect(ps).catch((e) => this.reportError(session, 'disconnect', e));
    }
    if (reason !== 'client_disconnected') {
      await this.transport
        .disconnect(session.transportSession)
        .catch((e) => this.reportError(session, 'disconnect', e));
    }
  }

  /** Per frame: the binding gate (changes apply on the next frame), resample, send or buffer. */
  private onTransportAudio(ts: VoiceSession, frame: AudioFrame): void {
    const rt = this.runtimes.get(ts.id);
    if (!rt || rt.session.state === 'ended') return;
    // Standalone (no kit, as in the seed's test example) there is no binding to gate on.
    if (this.kit && !rt.inputGate.allows(this.kit, this.id)) return;
    // Transports without input muting (the base no-op) are muted here.
    if (rt.toolsRunning > 0 && this.options.muteOnToolCall) return;
    // Primary-speaker mode: gated audio is for analysis only, never for the model.
    if (this.transport.isInputGated(ts)) return;
    if (frame.sampleRate !== rt.transportRate) {
      this.reportError(
        rt.session,
        'inbound',
        new RoomKitError(`transport sent ${frame.sampleRate} Hz, expected ${rt.transportRate} Hz`, {
          code: 'sample_rate_mismatch',
        }),
      );
      return;
    }
    // The echo reference up to now first, as in VoiceChannel.onAudio: after a stall the
    // sockets are read before the transport's pacer says what played meanwhile.
    if (rt.echo && this.transport.supportsPlaybackCallback) this.transport.catchUpPlayback(ts);
    // A copy: the provider (or the connect buffer) may keep it, the resampler reuses its output.
    const pcm = rt.inbound.convert((rt.echo ? this.withoutEcho(rt, frame) : frame).data);
    this.events.level(rt, 'in', pcm, rt.inputRate);
    const ps = rt.session.providerSession;
    if (rt.session.state === 'active' && ps?.state === 'active') this.provider.sendAudio(ps, pcm);
    else rt.buffer(pcm);
  }

  private onTransportReady(ts: VoiceSession): void {
    // A session we opened ourselves (startSession) is registered right after connect()
    // returns; wait a turn so a transport that is ready inside connect() is not adopted twice.
    setImmediate(() => {
      if (this.runtimes.has(ts.id)) return;
      const work = this.ensureAttached(ts.roomId)
        .then(() => this.open(ts, {}))
        .then(
          () => {},
          (error) => this.reportError(ts, 'auto_session', error),
        );
      this.kit?.internals.track(work);
    });
  }

  /** An echo canceller for the session when one is configured and the transport has none. */
  private async echoCancellerFor(rt: RealtimeSessionRuntime): Promise<EchoCanceller | null> {
    const { aec, echo, pacer } = this.options;
    if (!aec) return null;
    return EchoCanceller.create({
      aec,
      echo,
      sampleRate: rt.transportRate,
      sessionId: rt.session.id,
      capabilities: this.transport.capabilities,
      clock: pacer?.clock,
    });
  }

  /** The caller's frame with the model's echo removed; echo alone goes on as near-silence. */
  private withoutEcho(rt: RealtimeSessionRuntime, frame: AudioFrame): AudioFrame {
    try {
      return rt.echo!.process(frame);
    } catch (error) {
      this.reportError(rt.session, 'aec', error);
      return frame;
    }
  }

  /** The transport played a frame to the caller: the echo reference, when it reports playback. */
  private onTransportPlayed(ts: VoiceSession, frame: AudioFrame, lateMs?: number): void {
    const rt = this.runtimes.get(ts.id);
    if (rt?.echo && !this.transport.feedsAecReference) rt.echo.feedPlayed(frame, lateMs);
  }

  private sendToTransport(rt: RealtimeSessionRuntime, frame: AudioFrame): void {
    // Sent in real time by the pacer: heard from now on (the echo path is measured).
    if (rt.echo && !this.transport.supportsPlaybackCallback && !this.transport.feedsAecReference) {
      rt.echo.feedReference(frame);
    }
    const ts = rt.session.transportSession;
    const chunk = {
      data: int16ToBytes(frame.data),
      sampleRate: frame.sampleRate,
      channels: 1,
      format: 'pcm_s16le' as const,
    };
    this.transport
      .sendAudio(ts, chunk)
      .catch((error: unknown) => this.reportError(rt.session, 'send', error));
  }

  private async sendText(rt: RealtimeSessionRuntime, text: string): Promise<void> {
    const ps = rt.session.providerSession;
    if (!ps) return;
    await this.provider.sendText(ps, text).catch((error) => this.reportError(rt.session, 'send_text', error));
  }

  /**
   * Registered with a kit, the channel joins the room first. Standalone (the seed's test
   * example) it runs without one: audio, tools and the transport's transcripts work; room
   * events and hooks need a kit.
   */
  private async ensureAttached(roomId: string): Promise<void> {
    const kit = this.kit;
    if (!kit) return;
    if (!(await kit.getBinding(roomId, this.id))) await kit.attachChannel(roomId, this.id);
  }
}

/** Read through a call, so TypeScript does not keep a state narrowed before an await. */
function hasEnded(session: RealtimeVoiceSession): boolean {
  return session.state === 'ended';
}
