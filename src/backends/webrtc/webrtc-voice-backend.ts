import { errorMessage, NotFoundError, RoomKitError, ValidationError } from '../../core/errors.js';
import { parseClientFrame } from '../../core/client-frame.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { OpusSampleRate } from '../../voice/audio/opus.js';
import { bytesToInt16, downmixToMono } from '../../voice/audio/pcm.js';
import { Resampler } from '../../voice/audio/resampler.js';
import { VoiceBackend } from '../../voice/backends/voice-backend.js';
import type { VoiceRefusal, VoiceSessionRequest } from '../../voice/backends/websocket-voice-backend.js';
import type { VoiceAuthResult } from '../../voice/backends/websocket-voice-connection.js';
import type { AudioChunk, VoiceSession } from '../../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../../voice/types.js';
import { isOpusRate } from './opus-rtp-sender.js';
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

export interface WebRTCVoiceBackendOptions {
  /** STUN/TURN servers werift uses (default none: host candidates only; never a public default). */
  iceServers?: IceServer[];
  /** What `GET {path}` hands browsers (default `iceServers`); a function can mint TURN credentials per user. */
  clientIceServers?: IceServer[] | ((auth: VoiceAuthResult) => IceServer[] | Promise<IceServer[]>);
  /** Extra host candidate addresses (e.g. '127.0.0.1' for a loopback-only dev server, a 1:1 NAT's public IP). */
  iceHostAddresses?: string[];
  /** UDP ports to gather on, e.g. [40000, 40999] for a firewall rule. */
  icePortRange?: [number, number];
  iceTransportPolicy?: 'all' | 'relay';
  /** PCM rate the framework sees both ways (default 16000). Opus decodes and encodes it natively. */
  sampleRate?: OpusSampleRate;
  /** Opus bitrate in bit/s for replies (default: libopus's choice for speech). */
  bitrate?: number;
  /** channelId of the sessions this backend creates on its own (default 'voice'). */
  channelId?: string;
  /** An answered offer must reach 'connected' within this (default 20 s), else it is reaped. */
  connectTimeoutMs?: number;
  /** A connected peer that sends nothing (RTP, RTCP, data) for this long is reaped (default 15 s). */
  idleTimeoutMs?: number;
  /** ICE 'disconnected' for this long ends the call (default 8 s; it may recover before). */
  disconnectedTimeoutMs?: number;
  /** Concurrent peers (answered offers); more get 503 (default 500). */
  maxConnections?: number;
  /** Trickled candidates accepted per peer (default 64). */
  maxCandidates?: number;
  /** Control messages are dropped past this much unsent data-channel backlog (default 256 KiB). */
  maxBufferedBytes?: number;
  /**
   * Browsers cancel echo and control gain on the microphone themselves (getUserMedia's
   * echoCancellation/autoGainControl, on by default and reported by the track's settings).
   * The backend therefore declares NATIVE_AEC and NATIVE_AGC so the pipeline skips its own;
   * turn these off for clients that capture without them.
   */
  nativeEchoCancellation?: boolean;
  nativeGainControl?: boolean;
  /**
   * Decides each offer after the token's room scope (`rooms`, `roomId`) allowed it: true, or
   * a refusal (`room_not_found` -> 404, `forbidden` -> 403). Use it to refuse rooms that do
   * not exist. A callback that throws refuses.
   */
  authorizeSession?: (request: VoiceSessionRequest) => true | VoiceRefusal | Promise<true | VoiceRefusal>;
  logger?: Logger;
}

/** What `onClientConnected` listeners get: a connected peer waiting for a session. */
export interface WebRTCClient {
  /** The connection id (the seed's webrtc_id); pass it as `connection` to startSession/accept. */
  readonly id: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly metadata: Record<string, unknown>;
}

export interface WebRTCAnswer {
  type: 'answer';
  sdp: string;
  connectionId: string;
}

type ClientConnectedCallback = (client: WebRTCClient) => unknown;
type OutboundAudio = AudioChunk | Uint8Array | AsyncIterable<AudioChunk>;

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
  private readonly bySession = new Map<string, WebRTCPeer>();
  private readonly pendingSince = new Map<string, number>();
  private readonly resamplers = new Map<string, Resampler>();
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
    const werift = await loadWebRTC();
    // Authenticated metadata wins over what the client claims about itself.
    const metadata = { ...body.metadata, ...auth.metadata };
    const peer = new WebRTCPeer(werift, auth, roomId, metadata, this.peerConfig(), {
      onState: (p, s) => this.onPeerState(p, s),
      onAudio: (p, frame) => {
        if (p.session) this.emitAudio(p.session, frame);
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
      peer.sendPcm(bytesToInt16(evenBytes(audio)), this.sampleRate);
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
    const peer = this.bySession.get(session.id);
    if (!peer) return;
    peer.clearPlayback();
    for (const [key, r] of this.resamplers) if (key.startsWith(`${peer.id}:`)) r.reset();
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
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const session of [...this.sessions.values()]) await this.disconnect(session);
    await Promise.all([...this.peers.values()].map((p) => this.dropPeer(p, 'server closing')));
  }

  // ---- internals -------------------------------------------------------------------------

  private peerConfig(): PeerConfig {
    const o = this.options;
    return {
      iceServers: o.iceServers ?? [],
      iceHostAddresses: o.iceHostAddresses,
      icePortRange: o.icePortRange,
      iceTransportPolicy: o.iceTransportPolicy,
      sampleRate: this.sampleRate,
      bitrate: o.bitrate,
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
    for (const [key, r] of this.resamplers) {
      if (!key.startsWith(`${peer.id}:`)) continue;
      r.close();
      this.resamplers.delete(key);
    }
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
    const o = this.options;
    const connectMs = o.connectTimeoutMs ?? 20_000;
    for (const peer of [...this.peers.values()]) {
      let reason: string | undefined;
      if ((peer.state === 'new' || peer.state === 'connecting') && now - peer.createdAt > connectMs)
        reason = 'connect timeout';
      else if (
        peer.disconnectedAt !== undefined &&
        now - peer.disconnectedAt > (o.disconnectedTimeoutMs ?? 8000)
      )
        reason = 'ice disconnected';
      else if (peer.connected && now - peer.lastInboundAt > (o.idleTimeoutMs ?? 15_000))
        reason = 'idle timeout';
      else if (peer.connected && !peer.session && now - peer.createdAt > connectMs) reason = 'no session';
      if (!reason) continue;
      this.logger.info({ backend: this.name, connectionId: peer.id, reason }, 'reaping webrtc peer');
      void this.dropPeer(peer, reason);
    }
    for (const [id, since] of this.pendingSince) {
      if (now - since <= connectMs) continue;
      this.pendingSince.delete(id);
      const session = this.sessions.get(id);
      if (session && !this.bySession.has(id)) this.forgetSession(session);
    }
    if (this.peers.size === 0 && this.pendingSince.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private async sendChunk(peer: WebRTCPeer, chunk: AudioChunk, generation: number): Promise<void> {
    if (chunk.format !== 'pcm_s16le') {
      throw new ValidationError(`webrtc voice sends PCM s16le (encoded to Opus here), got ${chunk.format}`);
    }
    let pcm = downmixToMono(bytesToInt16(evenBytes(chunk.data)), chunk.channels);
    let rate = chunk.sampleRate;
    if (!isOpusRate(rate)) {
      const key = `${peer.id}:${rate}`;
      let resampler = this.resamplers.get(key);
      if (!resampler) {
        resampler = await Resampler.create({ inputRate: rate, outputRate: this.sampleRate });
        this.resamplers.set(key, resampler);
      }
      if (peer.generation !== generation || !this.peers.has(peer.id)) return;
      pcm = resampler.process(pcm);
      rate = this.sampleRate;
    }
    peer.sendPcm(pcm, rate);
  }
}

/**
 * PCM bytes as whole samples. Our channels always send whole samples; a stray odd byte from
 * a caller is dropped rather than shifting every later sample by one byte.
 */
function evenBytes(data: Uint8Array): Uint8Array {
  return data.byteLength % 2 === 0 ? data : data.subarray(0, data.byteLength - 1);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<AudioChunk> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
