/**
 * The one media-stream core every carrier backend extends (Twilio, Telnyx, Plivo, Vonage,
 * Exotel): answer webhooks that open a stream of the call's own, the stream's WebSocket
 * (verified on upgrade), sessions that VoiceChannel and RealtimeVoiceChannel pick up, paced
 * outbound audio with marks, barge-in with `clear`, DTMF, and hang-up, transfer and dial over
 * the carrier's REST API. A carrier subclass supplies its signature checks, markup, wire
 * protocol and REST client; nothing else differs.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage, ValidationError } from '../../../core/errors.js';
import { createLogger, type Logger } from '../../../core/logger.js';
import { requestUrl } from '../../../core/ws-upgrade.js';
import type { WebhookEndpoint } from '../../../channels/messaging/webhook-endpoint.js';
import { sharedMediaClock } from '../../../backends/rtp/media-clock.js';
import { isAsyncIterable, type OutboundAudio } from '../../../backends/rtp/outbound-audio.js';
import { type ConnectOptions, VoiceBackend } from '../../../voice/backends/voice-backend.js';
import type { PacerClock } from '../../../voice/pacer.js';
import {
  type AudioFrame,
  VoiceCapability,
  type VoiceSession,
  VoiceSessionState,
} from '../../../voice/types.js';
import { ReplayGuard } from '../webhook-signature.js';
import type { WebhookRequest, WebhookResponse } from '../webhook-request.js';
import { CallFailedError, type CarrierCallControl } from './call-control.js';
import {
  type CallStatusUpdate,
  type CarrierWebhookHost,
  handleAnswerWebhook,
  handleStatusWebhook,
  type VerifiedWebhook,
} from './carrier-webhooks.js';
import { callIdentity } from './call-metadata.js';
import { dialOut } from './dial-out.js';
import { MediaStreamCall } from './media-stream-call.js';
import { MediaStreamSockets, type StreamConnection } from './media-stream-sockets.js';
import { Listeners } from './listeners.js';
import type {
  CarrierCallEvent,
  CarrierCallEventCallback,
  CarrierDtmfCallback,
  DialOptions,
  MediaStreamBackendOptions,
} from './media-stream-types.js';

export type { DialOptions, MediaStreamBackendOptions } from './media-stream-types.js';

/**
 * How far audio runs ahead of real time to a carrier (and what channels in front should use
 * as their pacer's lead): carriers buffer what we send and `clear` drops it at once, and the
 * marks give the heard position whatever the lead, so unlike RTP a generous lead costs nothing
 * at barge-in and rides out event-loop stalls that would otherwise be gaps in the caller's ear.
 */
export const CARRIER_LEAD_MS = 200;
import { type CallRoute, type CarrierCallInfo, type PendingCall, PendingCalls } from './pending-calls.js';
import type { StreamEvent, StreamProtocol } from './stream-protocol.js';
import type { WireFormat } from './wire-audio.js';

export abstract class MediaStreamBackend extends VoiceBackend implements CarrierWebhookHost {
  abstract override readonly name: string;
  override readonly capabilities: number = VoiceCapability.INTERRUPTION | VoiceCapability.DTMF_SIGNALING;
  /** Frames are reported as they go out at real-time pace (the echo reference). */
  override readonly supportsPlaybackCallback: boolean = true;
  abstract readonly control: CarrierCallControl;
  readonly basePath: string;
  readonly logger: Logger;
  readonly replay: ReplayGuard;
  readonly pending: PendingCalls;
  protected abstract readonly protocol: StreamProtocol;
  protected readonly options: MediaStreamBackendOptions;
  protected readonly calls = new Map<string, MediaStreamCall>(); // by session id
  protected readonly sockets: MediaStreamSockets;
  private readonly clock: PacerClock;
  private readonly dtmfListeners = new Listeners<CarrierDtmfCallback>();
  private readonly callListeners = new Listeners<CarrierCallEventCallback>();
  private readonly controlRequests = new Set<Promise<unknown>>();

  constructor(carrier: string, options: MediaStreamBackendOptions = {}) {
    super();
    this.options = options;
    this.basePath = (options.basePath ?? `/carriers/${carrier}`).replace(/\/+$/, '');
    this.logger = options.logger ?? createLogger(`roomkit.providers.${carrier}`);
    this.replay = new ReplayGuard(options.replay);
    this.pending = new PendingCalls({ ttlMs: options.streamTimeoutMs });
    this.clock = options.clock ?? sharedMediaClock;
    this.sockets = new MediaStreamSockets({
      carrier,
      streamPath: `${this.basePath}/stream`,
      heartbeatMs: options.heartbeatMs,
      logger: this.logger,
      pending: this.pending,
      verifyUpgrade: (req, pending) => this.verifyUpgrade(req, pending),
      acceptsUnannounced: () => this.acceptsUnannouncedStreams,
      protocol: () => this.protocol,
      onEvent: (conn, event) => this.onStreamEvent(conn, event),
      onClose: (conn) => this.onSocketClosed(conn),
    });
  }

  // ---- what a carrier supplies --------------------------------------------------------

  /** Verify a webhook's signature (throws WebhookAuthError) and say what it may be replayed as. */
  abstract verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook>;
  /** What the answer webhook says about the call (throws WebhookPayloadError when it cannot). */
  abstract incomingCall(req: WebhookRequest): CarrierCallInfo;
  /** Markup that connects the call to its stream URL. */
  abstract answerMarkup(pending: PendingCall): WebhookResponse;
  /** Markup that refuses a call. */
  abstract rejectMarkup(): WebhookResponse;
  /** A status callback, when the request is one we understand. */
  abstract parseStatus(req: WebhookRequest): CallStatusUpdate | undefined;
  /** The wire format of new calls (a start message may refine the rate and encoding). */
  protected abstract wireFormat(): WireFormat;
  /**
   * Verify the WebSocket upgrade beyond the stream URL's token (carriers that sign it);
   * throws WebhookAuthError to refuse. `pending` is undefined for an unannounced stream.
   */
  protected async verifyUpgrade(_req: IncomingMessage, _pending: PendingCall | undefined): Promise<void> {}
  /** Carriers configured with one static stream URL (Exotel's applet) stream without an answer webhook. */
  protected readonly acceptsUnannouncedStreams: boolean = false;
  /** The default caller id for outbound calls. */
  protected abstract defaultFromNumber(): string | undefined;

  // ---- mounting ---------------------------------------------------------------------------

  /** The answer and status webhooks (mount with `createWebhookHandler` or use `listen`). */
  webhookEndpoints(): WebhookEndpoint[] {
    return [
      {
        path: `${this.basePath}/answer`,
        methods: this.answerMethods,
        handle: (req) => handleAnswerWebhook(this, req),
      },
      {
        path: `${this.basePath}/status`,
        methods: ['POST', 'GET'],
        handle: (req) => handleStatusWebhook(this, req),
      },
    ];
  }

  /** Methods the answer webhook accepts (Vonage and Exotel may fetch it with GET). */
  protected readonly answerMethods: readonly string[] = ['POST'];

  /** True when `url` is this backend's stream path (for servers that route upgrades themselves). */
  ownsUpgrade(url: URL): boolean {
    return this.sockets.owns(url.pathname);
  }

  /** Take one upgrade request on the stream path (refused with 403 unless it proves the call). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url = requestUrl(req)): void {
    this.sockets.handleUpgrade(req, socket, head, url);
  }

  /** Serve the webhooks and the stream from a server of your own. */
  attach(server: Server, opts: { publicBaseUrl?: string } = {}): void {
    this.sockets.attach(server, this, {
      publicBaseUrl: opts.publicBaseUrl ?? this.options.publicUrl,
      trustProxy: this.options.trustProxy,
    });
  }

  /** Start a standalone HTTP server for the webhooks and the stream; resolves with its port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return this.sockets.listen(port, host, this, {
      publicBaseUrl: this.options.publicUrl,
      trustProxy: this.options.trustProxy,
    });
  }

  /** A request listener for the webhooks: resolves false when the path is not ours. */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    return this.sockets.handleRequest(req, res, this, {
      publicBaseUrl: this.options.publicUrl,
      trustProxy: this.options.trustProxy,
    });
  }

  // ---- CarrierWebhookHost -------------------------------------------------------------------

  async routeCall(call: CarrierCallInfo): Promise<CallRoute | undefined> {
    if (this.options.routeCall) return this.options.routeCall(call);
    return { roomId: this.options.roomId ?? call.to ?? 'phone' };
  }

  streamBase(req?: WebhookRequest): string {
    const origin = this.publicOrigin(req);
    return `${origin.replace(/^http/i, 'ws')}${this.basePath}/stream`;
  }

  callStatus(update: CallStatusUpdate): void {
    const call = [...this.calls.values()].find((c) => c.carrierCallId === update.callId);
    if (call) this.emitCallEvent(call.session, { type: 'status', status: update.status });
  }

  // ---- VoiceBackend ----------------------------------------------------------------------

  override sampleRateFor(session: VoiceSession): number {
    return this.calls.get(session.id)?.sampleRate ?? this.wireFormat().sampleRate;
  }

  /** VoiceChannel path: `kit.connectVoice(room, participant, channel, { metadata: { to } })` dials. */
  override async connect(
    roomId: string,
    participantId: string,
    _channelId: string,
    opts: ConnectOptions = {},
  ) {
    const to = opts.metadata?.to;
    if (typeof to !== 'string')
      throw new ValidationError(`${this.name} connect needs metadata.to, the number to call`);
    return this.dial(to, { roomId, participantId, metadata: opts.metadata });
  }

  async sendAudio(session: VoiceSession, audio: OutboundAudio): Promise<void> {
    const call = this.calls.get(session.id);
    if (!call || call.ended) return;
    if (audio instanceof Uint8Array) {
      call.push(call.converter.fromBytes(audio));
      return;
    }
    if (!isAsyncIterable(audio)) {
      call.push(await call.converter.fromChunk(audio));
      return;
    }
    const generation = call.generation;
    for await (const chunk of audio) {
      // Interrupted or hung up while the stream was open: stop pulling.
      if (this.calls.get(session.id) !== call || call.generation !== generation) break;
      const pcm = await call.converter.fromChunk(chunk);
      if (call.generation !== generation || !call.push(pcm)) break;
    }
  }

  /** A channel's paced frame: already PCM at the call's rate, it goes to the call's pacer as is. */
  override sendPacedFrame(session: VoiceSession, frame: AudioFrame, onError: (error: unknown) => void): void {
    const call = this.calls.get(session.id);
    if (!call || call.ended) return;
    if (frame.sampleRate === call.sampleRate && frame.channels === 1) call.push(frame.data);
    else super.sendPacedFrame(session, frame, onError);
  }

  interrupt(session: VoiceSession): void {
    this.calls.get(session.id)?.interrupt();
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.calls.get(session.id)?.isPlaying ?? false;
  }

  override unheardMs(session: VoiceSession): number | undefined {
    return this.calls.get(session.id)?.unheardMs;
  }

  override catchUpPlayback(session: VoiceSession): void {
    this.calls.get(session.id)?.catchUpPlayback();
  }

  override endOfResponse(session: VoiceSession): void {
    this.calls.get(session.id)?.endOfResponse();
  }

  /** Our hang-up: the carrier's REST API ends the call (not awaited), and the stream closes. */
  async disconnect(session: VoiceSession): Promise<void> {
    const request = this.hangUp(session);
    if (request) this.track(request, 'hangup', session);
  }

  override async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
    this.pending.clear(new Error(`${this.name} backend closed`));
    // REST hang-ups in flight get a short grace: a dead carrier API must not hold shutdown.
    await Promise.race([
      Promise.allSettled([...this.controlRequests]),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.sockets.close();
  }

  // ---- call control -----------------------------------------------------------------------

  /** Call `to` and put the answered call into `opts.roomId`; resolves once its stream is live. */
  async dial(to: string, opts: DialOptions): Promise<VoiceSession> {
    const from = opts.from ?? this.options.fromNumber ?? this.defaultFromNumber();
    if (!from) throw new ValidationError(`${this.name}: dialing needs a from number (fromNumber)`);
    if (!this.options.publicUrl && !process.env.ROOMKIT_PUBLIC_URL)
      throw new ValidationError(
        `${this.name}: dialing needs publicUrl (or ROOMKIT_PUBLIC_URL) for the stream`,
      );
    const sessionId = await dialOut(
      this,
      { from, to, parameters: opts.parameters ?? {} },
      { roomId: opts.roomId, participantId: opts.participantId, metadata: opts.metadata },
      opts.timeoutMs ?? this.options.dialTimeoutMs ?? 60_000,
    );
    const session = this.sessions.get(sessionId);
    if (!session) throw new CallFailedError(this.name, 'ended', 'the call ended as it was answered');
    return session;
  }

  /** Hang up and wait for the carrier's API to confirm it (`disconnect` does not wait). */
  async hangup(session: VoiceSession): Promise<void> {
    await this.hangUp(session);
  }

  /** Blind transfer: the caller is connected to `target` (number or SIP URI) and our stream ends. */
  async transfer(session: VoiceSession, target: string): Promise<void> {
    const call = this.calls.get(session.id);
    if (!call) throw new ValidationError(`no ${this.name} call for session ${session.id}`);
    await this.control.transfer(call.carrierCallId, target);
    call.endedByUs = true;
    this.endCall(call, 'transferred', 'remote');
    if (call.socket.readyState === call.socket.OPEN) call.socket.close(1000, 'transferred');
  }

  /** The carrier's side of a session (its call id, stream id, marks). */
  getCall(session: VoiceSession): MediaStreamCall | undefined {
    return this.calls.get(session.id);
  }

  /** Digits the caller pressed (VoiceChannel and RealtimeVoiceChannel fire ON_DTMF with them). */
  onDtmfReceived(cb: CarrierDtmfCallback): () => void {
    return this.dtmfListeners.add(cb);
  }

  /** Call started, carrier status, call ended (who hung up, why, how long). */
  onCallEvent(cb: CarrierCallEventCallback): () => void {
    return this.callListeners.add(cb);
  }

  // ---- internals --------------------------------------------------------------------------

  private hangUp(session: VoiceSession): Promise<void> | undefined {
    const call = this.calls.get(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
    if (!call) return undefined;
    call.endedByUs = true;
    const request = this.control.hangup(call.carrierCallId);
    this.endCall(call, 'hangup', 'local');
    return request;
  }

  /** `http(s)://host` the carrier reaches us at (configured, else the webhook's Host). */
  publicOrigin(req?: WebhookRequest): string {
    const configured = this.options.publicUrl ?? process.env.ROOMKIT_PUBLIC_URL;
    if (configured) return configured.replace(/\/+$/, '');
    if (req?.publicUrl) return new URL(req.publicUrl).origin;
    throw new ValidationError(`${this.name}: no public URL (set publicUrl or ROOMKIT_PUBLIC_URL)`);
  }

  /** Everything a socket said, once its protocol parsed it. */
  private onStreamEvent(conn: StreamConnection, event: StreamEvent): void {
    const call = conn.call;
    switch (event.type) {
      case 'start':
        if (!call) void this.startCall(conn, event);
        return;
      case 'media':
        if (call && !call.ended && call.session.state === VoiceSessionState.ACTIVE)
          call.decode(event.payload, (frame) => this.emitAudio(call.session, frame));
        return;
      case 'mark':
        call?.ledger.confirm(event.name);
        return;
      case 'dtmf':
        if (call) this.emitDtmf(call.session, event.digit, event.durationMs);
        return;
      case 'stop':
        if (call) this.endCall(call, event.reason ?? 'hangup', 'remote');
        if (conn.socket.readyState === conn.socket.OPEN) conn.socket.close(1000, 'stream stopped');
        return;
      case 'error':
        this.logger.warn(
          { carrier: this.name, sessionId: call?.session.id, error: event.message },
          'carrier stream error',
        );
        return;
      default:
        return;
    }
  }

  private async startCall(
    conn: StreamConnection,
    start: Extract<StreamEvent, { type: 'start' }>,
  ): Promise<void> {
    let pending = conn.pending;
    const info: CarrierCallInfo = pending?.call ?? {
      callId: start.callId ?? '',
      from: start.from,
      to: start.to,
      direction: 'inbound',
      parameters: {},
    };
    // The stream names the call the way call control wants it (Telnyx: call_control_id).
    if (start.callId) info.callId = start.callId;
    const parameters = { ...info.parameters, ...start.customParameters };
    let route = pending?.route;
    if (!route) {
      // An unannounced stream (a static applet URL): one stream per call id, routed now.
      if (!info.callId || [...this.calls.values()].some((c) => c.carrierCallId === info.callId)) {
        this.logger.warn(
          { carrier: this.name },
          'stream without a call id, or for a call already streaming; closing',
        );
        conn.socket.close(1008, 'unknown call');
        return;
      }
      route = await this.routeCall({ ...info, parameters }).catch(() => undefined);
      if (!route) {
        conn.socket.close(1008, 'call refused');
        return;
      }
    }
    const format: WireFormat = { ...this.wireFormat(), ...definedFormat(start.format) };
    const { participantId, metadata } = callIdentity(this.name, info, route, {
      streamId: start.streamId,
      parameters,
    });
    const session = this.newSession(route.roomId, participantId, 'voice', metadata);
    const call = new MediaStreamCall({
      socket: conn.socket,
      protocol: this.protocol,
      format,
      session,
      carrierCallId: info.callId,
      clock: this.clock,
      leadMs: this.options.leadMs ?? CARRIER_LEAD_MS,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
      logger: this.logger,
      onPlayed: (frame, lateMs) => this.emitAudioPlayed(session, frame, lateMs),
    });
    call.setStreamId(start.streamId);
    conn.call = call;
    this.calls.set(session.id, call);
    this.sessions.set(session.id, session);
    this.emitTrace({
      protocol: 'websocket',
      direction: 'inbound',
      summary: `${this.name} stream start`,
      sessionId: session.id,
      roomId: session.roomId,
      metadata: { callId: info.callId },
    });
    this.emitSessionReady(session);
    this.emitCallEvent(session, { type: 'started', direction: info.direction });
    pending?.dial?.resolve(session.id);
    pending = undefined;
  }

  private onSocketClosed(conn: StreamConnection): void {
    const call = conn.call;
    if (call && !call.ended)
      this.endCall(call, call.endedByUs ? 'hangup' : 'stream_closed', call.endedByUs ? 'local' : 'remote');
  }

  /** The call is over: the session ends (a caller hang-up is a client disconnect for the channels). */
  protected endCall(call: MediaStreamCall, reason: string, by: 'remote' | 'local'): void {
    if (call.ended) return;
    call.close();
    const session = call.session;
    this.calls.delete(session.id);
    this.emitCallEvent(session, { type: 'ended', reason, by, durationMs: Date.now() - call.startedAt });
    this.emitTrace({
      protocol: 'websocket',
      direction: by === 'remote' ? 'inbound' : 'outbound',
      summary: `${this.name} call ended (${reason})`,
      sessionId: session.id,
      roomId: session.roomId,
    });
    if (by === 'remote' && session.state !== VoiceSessionState.ENDED) this.emitClientDisconnected(session);
    else {
      this.forgetSession(session);
      session.state = VoiceSessionState.ENDED;
    }
    if (by === 'local' && call.socket.readyState === call.socket.OPEN) call.socket.close(1000, reason);
  }

  private emitDtmf(session: VoiceSession, digit: string, durationMs?: number): void {
    this.dtmfListeners.emit(this.logger, 'dtmf', session, { digit, durationMs, source: this.name });
  }

  private emitCallEvent(session: VoiceSession, event: CarrierCallEvent): void {
    this.callListeners.emit(this.logger, 'call event', session, event);
  }

  /** A REST request in the background: failures are logged, shutdown waits for it briefly. */
  track(request: Promise<unknown>, what: string, session?: VoiceSession): void {
    const tracked = request.catch((error) =>
      this.logger.warn(
        { carrier: this.name, sessionId: session?.id, err: errorMessage(error) },
        `${what} failed`,
      ),
    );
    this.controlRequests.add(tracked);
    void tracked.finally(() => this.controlRequests.delete(tracked));
  }
}

function definedFormat(format: Partial<WireFormat> | undefined): Partial<WireFormat> {
  const out: Partial<WireFormat> = {};
  if (format?.encoding) out.encoding = format.encoding;
  if (format?.sampleRate) out.sampleRate = format.sampleRate;
  return out;
}
