import { errorMessage, NotFoundError, RoomKitError, ValidationError } from '../../core/errors.js';
import { parseClientFrame } from '../../core/client-frame.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { OpusSampleRate } from '../../voice/audio/opus.js';
import { VoiceBackend } from '../../voice/backends/voice-backend.js';
import type { VoiceRefusal } from '../../voice/backends/websocket-voice-backend.js';
import type { VoiceAuthResult } from '../../voice/backends/websocket-voice-connection.js';
import type { AudioChunk, VoiceSession } from '../../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../../voice/types.js';
import { isAsyncIterable, type OutboundAudio } from '../rtp/outbound-audio.js';
import { isOpusRate } from './opus-rtp-sender.js';
import type { WebRTCAnswer, WebRTCClient, WebRTCVoiceBackendOptions } from './webrtc-backend-options.js';
import { reapDeadlines, reapReason } from './webrtc-reaper.js';
import { loadWebRTC } from './werift-loader.js';
import { type PeerConfig, type PeerState, WebRTCPeer } from './webrtc-peer.js';
import {
  CLIENT_CONTROL_TYPES,
  ClientControlMessage,
  type IceCandidateInit,
  type IceServer,
  type OfferBody,
  WebRTCSignallingError,
} from './webrtc-protocol.js';

type ClientConnectedCallback = (client: WebRTCClient) => unknown;

const SWEEP_MS = 1000;

/**
 * Voice over WebRTC with no media server: browsers send an SDP offer over HTTP (mountWebRTC),
 * werift answers in-process, and audio flows as Opus both ways over DTLS-SRTP. A `roomkit`
 * data channel carries transcripts, the speaking state and `clear` (barge-in flushes the
 * browser's playback, not only what we send).
 *
 * A connected client starts a session on its own: with no `onClientConnected` listener the
 * backend creates one (room from the offer or the authenticated user) and announces it through
 * onSessionReady, which VoiceChannel and RealtimeVoiceChannel adopt. With a listener, the app
 * decides, as in the seed: `channel.startSession(room, user, { connection: client.id })`.
 */
export class WebRTCVoiceBackend extends VoiceBackend {
  readonly name: string = 'webrtc';
  override readonly capabilities: VoiceCapability;
  readonly sampleRate: OpusSampleRate;
  protected readonly logger: Logger;
  private readonly options: WebRTCVoiceBackendOptions;
  private readonly peers = new Map<string, WebRTCPeer>();
  /** Stops counting the peers against the server's limits (`admission`). */
  private readonly stopCounting: (() => void) | undefined;
  private readonly bySession = new Map<string, WebRTCPeer>();
  private readonly pendingSince = new Map<string, number>();
  private readonly connectedListeners: ClientConnectedCallback[] = [];
  private sweeper?: NodeJS.Timeout;
  private closed = false;

  constructor(options: WebRTCVoiceBackendOptions = {}) {
    super();
    this.options = options;
    this.sampleRate = options.sampleRate ?? 16000;
    if (!isOpusRate(this.sampleRate)) {
      throw new ValidationError(`WebRTC sampleRate must be an Opus rate, got ${this.sampleRate}`);
    }
    this.logger = options.logger ?? createLogger('roomkit.backends.webrtc');
    this.capabilities =
      VoiceCapability.INTERRUPTION |
      (options.nativeEchoCancellation === false ? 0 : VoiceCapability.NATIVE_AEC) |
      (options.nativeGainControl === false ? 0 : VoiceCapability.NATIVE_AGC);
    this.stopCounting = options.admission?.countCalls(() => this.peers.size);
  }

  override sampleRateFor(_session: VoiceSession): number {
    return this.sampleRate;
  }

  /** Called when a client's connection is up; the listener starts (or refuses) its session. */
  onClientConnected(cb: ClientConnectedCallback): () => void {
    this.connectedListeners.push(cb);
    return () => {
      const i = this.connectedListeners.indexOf(cb);
      if (i >= 0) this.connectedListeners.splice(i, 1);
    };
  }

  /** Peers not yet closed. */
  get connectionCount(): number {
    return this.peers.size;
  }

  /** Receive-side statistics of a session's audio (packets, loss, concealment, jitter depth). */
  receiveStats(session: VoiceSession) {
    return this.bySession.get(session.id)?.receiveStats();
  }

  // ---- signalling (mountWebRTC calls these; call them yourself to signal another way) ----

  /** ICE servers for a client's RTCPeerConnection. */
  async clientIceServers(auth: VoiceAuthResult): Promise<IceServer[]> {
    const servers = this.options.clientIceServers ?? this.options.iceServers ?? [];
    return typeof servers === 'function' ? servers(auth) : servers;
  }

  /** Answer a client's offer. Throws WebRTCSignallingError for anything the client got wrong. */
  async offer(body: OfferBody, auth: VoiceAuthResult): Promise<WebRTCAnswer> {
    if (this.closed) throw new WebRTCSignallingError('not_found', 'this backend is closed');
    if (auth.roomId && body.roomId && auth.roomId !== body.roomId) {
      throw new WebRTCSignallingError('forbidden', `not allowed in room ${body.roomId}`);
    }
    const roomId = body.roomId ?? auth.roomId;
    if (!roomId) throw new WebRTCSignallingError('missing_room', 'the offer needs a roomId');
    await this.authorize(auth, roomId);
    const max = this.options.maxConnections ?? 500;
    if (this.peers.size >= max) {
      throw new WebRTCSignallingError('too_many_connections', `this server takes ${max} calls at once`);
    }
    const refusal = this.options.admission?.refusal('webrtc');
    if (refusal) throw new WebRTCSignallingError(refusal.code, refusal.message);
    const perUser = this.options.maxConnectionsPerUser ?? 8;
    let mine = 0;
    for (const p of this.peers.values()) if (p.auth.userId === auth.userId) mine++;
    if (mine >= perUser) {
      throw new WebRTCSignallingError('too_many_calls', `at most ${perUser} calls per user at once`);
    }
    const werift = await loadWebRTC();
    // Authenticated metadata wins over what the client claims about itself.
    const metadata = { ...body.metadata, ...auth.metadata };
    const peer = new WebRTCPeer(werift, auth, roomId, metadata, this.peerConfig(), {
      onState: (p, s) => this.onPeerState(p, s),
      onAudio: (p, frame) => {
        if (!p.session) return;
        try {
          this.emitAudio(p.session, frame);
        } catch (error) {
          // A throwing listener is a framework bug, not the caller's: log it, keep the call.
          this.logger.error({ backend: this.name, err: errorMessage(error) }, 'webrtc audio listener failed');
        }
      },
      onControlOpen: (p) => this.sendReady(p),
      onControlClosed: (p) => void this.dropPeer(p, 'client closed the data channel'),
      onControl: (p, text) => this.onControl(p, text),
    });
    this.peers.set(peer.id, peer);
    this.ensureSweeper();
    try {
      const sdp = await peer.answer(body.sdp);
      this.emitTrace({ protocol: 'webrtc', direction: 'inbound', summary: 'offer answered', roomId });
      return { type: 'answer', sdp, connectionId: peer.id };
    } catch (error) {
      this.peers.delete(peer.id);
      await peer.close('offer failed');
      throw error instanceof WebRTCSignallingError
        ? error
        : new WebRTCSignallingError('internal', errorMessage(error), error);
    }
  }

  /** Trickled ICE candidates from the client that owns `connectionId`. */
  async addCandidates(
    connectionId: string,
    candidates: (IceCandidateInit | null)[],
    auth: VoiceAuthResult,
  ): Promise<void> {
    const peer = this.ownedPeer(connectionId, auth);
    for (const candidate of candidates) await peer.addCandidate(candidate);
  }

  /** The client hangs up (DELETE): its session ends as a client disconnect. */
  async hangUp(connectionId: string, auth: VoiceAuthResult): Promise<void> {
    await this.dropPeer(this.ownedPeer(connectionId, auth), 'client hung up');
  }

  // ---- VoiceBackend ----------------------------------------------------------------------

  /** Bind a connected client (its id, or the WebRTCClient) to a session (RealtimeVoiceChannel.startSession's `connection`). */
  override async accept(session: VoiceSession, connection: unknown): Promise<void> {
    const id = typeof connection === 'string' ? connection : (connection as WebRTCClient | undefined)?.id;
    const peer = id ? this.peers.get(id) : undefined;
    if (!peer || peer.state === 'closed') throw new NotFoundError('webrtc connection', String(id));
    if (peer.session && peer.session.id !== session.id) {
      throw new RoomKitError(`webrtc connection ${id} already has a session`, { code: 'already_bound' });
    }
    this.bind(peer, session);
  }

  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: { metadata?: Record<string, unknown> } = {},
  ): Promise<VoiceSession> {
    const session = await super.connect(roomId, participantId, channelId, opts);
    // Waits for accept(); the sweeper forgets it if none comes (bounded state).
    this.pendingSince.set(session.id, performance.now());
    this.ensureSweeper();
    return session;
  }

  async disconnect(session: VoiceSession): Promise<void> {
    const peer = this.bySession.get(session.id);
    this.bySession.delete(session.id);
    this.pendingSince.delete(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
    if (!peer) return;
    peer.closedByServer = true;
    await this.dropPeer(peer, 'session ended');
  }

  async sendAudio(session: VoiceSession, audio: OutboundAudio): Promise<void> {
    const peer = this.bySession.get(session.id);
    if (!peer?.connected) return;
    if (audio instanceof Uint8Array) {
      peer.sendPcm(peer.outbound.fromBytes(audio), this.sampleRate);
      return;
    }
    if (!isAsyncIterable(audio)) {
      await this.sendChunk(peer, audio, peer.generation);
      return;
    }
    const generation = peer.generation;
    for await (const chunk of audio) {
      // Interrupted (or gone) while the stream was open: stop pulling, which also ends it.
      if (peer.generation !== generation || !peer.connected) break;
      await this.sendChunk(peer, chunk, generation);
    }
  }

  interrupt(session: VoiceSession): void {
    this.bySession.get(session.id)?.clearPlayback();
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.bySession.get(session.id)?.sender.isPlaying ?? false;
  }

  override setInputMuted(session: VoiceSession, muted: boolean): void {
    const peer = this.bySession.get(session.id);
    if (peer) peer.inputMuted = muted;
  }

  override endOfResponse(session: VoiceSession): void {
    this.bySession.get(session.id)?.stopSpeaking();
  }

  override async sendTranscription(
    session: VoiceSession,
    text: string,
    role: 'user' | 'assistant' = 'user',
    final = true,
  ): Promise<void> {
    this.bySession.get(session.id)?.sendControl({ type: 'transcription', text, role, final });
  }

  override sendSpeaking(session: VoiceSession, speaking: boolean, who: 'user' | 'assistant'): void {
    this.bySession.get(session.id)?.sendControl({ type: 'speaking', speaking, who });
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.stopCounting?.();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
    await Promise.all([...this.peers.values()].map((p) => this.dropPeer(p, 'server closing')));
  }

  // ---- internals -------------------------------------------------------------------------

  private peerConfig(): PeerConfig {
    const o = this.options;
    return {
      iceServers: typeof o.iceServers === 'function' ? o.iceServers() : (o.iceServers ?? []),
      iceHostAddresses: o.iceHostAddresses,
      icePortRange: o.icePortRange,
      iceTransportPolicy: o.iceTransportPolicy,
      sampleRate: this.sampleRate,
      bitrate: o.bitrate,
      opusComplexity: o.opusComplexity,
      maxCandidates: o.maxCandidates ?? 64,
      maxBufferedBytes: o.maxBufferedBytes ?? 256 * 1024,
    };
  }

  /** The token's room scope, then the app's `authorizeSession`; throws the refusal. */
  private async authorize(auth: VoiceAuthResult, roomId: string): Promise<void> {
    const scope = auth.rooms ?? '*';
    if (scope !== '*' && !scope.includes(roomId)) {
      throw new WebRTCSignallingError('forbidden', `not allowed in room ${roomId}`);
    }
    const decide = this.options.authorizeSession;
    if (!decide) return;
    let decision: true | VoiceRefusal;
    try {
      decision = await decide({ auth, roomId });
    } catch (error) {
      this.logger.warn(
        { backend: this.name, err: errorMessage(error) },
        'webrtc authorizeSession threw; refusing',
      );
      decision = { code: 'forbidden', message: `not allowed in room ${roomId}` };
    }
    if (decision !== true) throw new WebRTCSignallingError(decision.code, decision.message);
  }

  /** The peer, if `auth` is the user who made it (others get 404: ids are not an oracle). */
  private ownedPeer(connectionId: string, auth: VoiceAuthResult): WebRTCPeer {
    const peer = this.peers.get(connectionId);
    if (!peer || peer.auth.userId !== auth.userId || peer.state === 'closed') {
      throw new WebRTCSignallingError('not_found', 'no such connection');
    }
    return peer;
  }

  private bind(peer: WebRTCPeer, session: VoiceSession): void {
    peer.session = session;
    this.sessions.set(session.id, session);
    this.pendingSince.delete(session.id);
    this.bySession.set(session.id, peer);
    if (peer.connected) this.ready(peer);
  }

  private ready(peer: WebRTCPeer): void {
    const session = peer.session!;
    this.sendReady(peer);
    this.emitTrace({
      protocol: 'webrtc',
      direction: 'inbound',
      summary: 'connected',
      sessionId: session.id,
      roomId: session.roomId,
    });
    this.emitSessionReady(session);
  }

  private sendReady(peer: WebRTCPeer): void {
    const s = peer.session;
    if (!s || !peer.connected) return;
    peer.sendControl({
      type: 'ready',
      sessionId: s.id,
      roomId: s.roomId,
      participantId: s.participantId,
      sampleRate: this.sampleRate,
    });
  }

  private onPeerState(peer: WebRTCPeer, state: PeerState): void {
    if (state === 'closed') {
      void this.dropPeer(peer, 'connection closed');
      return;
    }
    if (state !== 'connected' || this.closed) return;
    if (peer.session) {
      if (peer.session.state !== VoiceSessionState.ACTIVE) this.ready(peer);
      return;
    }
    const client: WebRTCClient = {
      id: peer.id,
      roomId: peer.roomId,
      participantId: peer.auth.userId,
      metadata: peer.metadata,
    };
    if (this.connectedListeners.length === 0) {
      const channelId = this.options.channelId ?? 'voice';
      this.bind(peer, this.newSession(peer.roomId, peer.auth.userId, channelId, peer.metadata));
      return;
    }
    for (const cb of this.connectedListeners) {
      Promise.resolve()
        .then(() => cb(client))
        .catch((error) => {
          this.logger.warn({ backend: this.name, err: errorMessage(error) }, 'onClientConnected failed');
          void this.dropPeer(peer, 'session refused');
        });
    }
  }

  private onControl(peer: WebRTCPeer, text: string): void {
    if (text.length > 4096) {
      peer.sendControl({ type: 'error', code: 'too_large', message: 'control messages are small JSON' });
      return;
    }
    const parsed = parseClientFrame(text, ClientControlMessage, CLIENT_CONTROL_TYPES);
    if (!parsed.ok) {
      peer.sendControl({ type: 'error', code: parsed.code, message: parsed.message });
      return;
    }
    if (parsed.message.type === 'ping') peer.sendControl({ type: 'pong' });
    else void this.dropPeer(peer, 'client stopped');
  }

  /** Close a peer and forget it; its session ends as a client drop unless we ended it. */
  private async dropPeer(peer: WebRTCPeer, reason: string): Promise<void> {
    if (!this.peers.delete(peer.id)) return;
    await peer.close(reason);
    const session = peer.session;
    this.logger.info({ backend: this.name, sessionId: session?.id, reason }, 'webrtc peer closed');
    if (!session || this.bySession.get(session.id) !== peer) return;
    this.bySession.delete(session.id);
    this.emitTrace({ protocol: 'webrtc', direction: 'inbound', summary: reason, sessionId: session.id });
    if (!peer.closedByServer) this.emitClientDisconnected(session);
  }

  private ensureSweeper(): void {
    if (this.sweeper || this.closed) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Peers that vanished are reaped by deadline: never connected, disconnected, or silent. */
  private sweep(): void {
    const now = performance.now();
    const deadlines = reapDeadlines(this.options);
    for (const peer of [...this.peers.values()]) {
      const reason = reapReason(peer, now, deadlines);
      if (!reason) continue;
      this.logger.info({ backend: this.name, connectionId: peer.id, reason }, 'reaping webrtc peer');
      void this.dropPeer(peer, reason);
    }
    for (const [id, since] of this.pendingSince) {
      if (now - since <= deadlines.connectMs) continue;
      this.pendingSince.delete(id);
      const session = this.sessions.get(id);
      if (session && !this.bySession.has(id)) this.forgetSession(session);
    }
    if (this.peers.size === 0 && this.pendingSince.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Any PCM chunk (any rate, channels, split samples) as mono PCM at the session rate, then Opus. */
  private async sendChunk(peer: WebRTCPeer, chunk: AudioChunk, generation: number): Promise<void> {
    const pcm = await peer.outbound.fromChunk(chunk);
    if (peer.generation !== generation || !peer.connected) return;
    peer.sendPcm(pcm, this.sampleRate);
  }
}
