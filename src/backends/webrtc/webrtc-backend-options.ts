import type { Logger } from '../../core/logger.js';
import type { OpusSampleRate } from '../../voice/audio/opus.js';
import type { VoiceRefusal, VoiceSessionRequest } from '../../voice/backends/websocket-voice-backend.js';
import type { VoiceAuthResult } from '../../voice/backends/websocket-voice-connection.js';
import type { VoiceAdmission } from '../../voice/admission.js';
import type { IceServer } from './webrtc-protocol.js';

export interface WebRTCVoiceBackendOptions {
  /**
   * STUN/TURN servers werift uses (default none: host candidates only; never a public default).
   * A function is called for every new peer, e.g. to mint TURN credentials that expire.
   */
  iceServers?: IceServer[] | (() => IceServer[]);
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
  /** libopus encoder complexity 0-10 for replies (default 10). Encoding is the largest per-session CPU cost: 5 saves about a third of it. */
  opusComplexity?: number;
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
  /**
   * The server's limits shared with its other voice paths (`roomkit serve
   * --max-voice-sessions`): an offer past them gets 503 `at_capacity` or `overloaded`.
   * This backend's peers count as its calls.
   */
  admission?: VoiceAdmission;
  /** Peers one user may hold at once (default 8): one token cannot take the whole server; more get 429. */
  maxConnectionsPerUser?: number;
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
