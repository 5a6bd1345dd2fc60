import { randomBytes } from 'node:crypto';
import type { RTCDataChannel, RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { errorMessage } from '../../core/errors.js';
import type { VoiceAuthResult } from '../../voice/backends/websocket-voice-connection.js';
import type { VoiceSession } from '../../voice/types.js';
import { OutboundAudioConverter } from '../rtp/outbound-audio.js';
import { OpusRtpReceiver } from './opus-rtp-receiver.js';
import { type OutboundRtp, OpusRtpSender } from './opus-rtp-sender.js';
import type { Werift } from './werift-loader.js';
import {
  CONTROL_CHANNEL_LABEL,
  type IceCandidateInit,
  type IceServer,
  WebRTCSignallingError,
} from './webrtc-protocol.js';

export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface PeerConfig {
  iceServers: IceServer[];
  iceHostAddresses?: string[];
  icePortRange?: [number, number];
  iceTransportPolicy?: 'all' | 'relay';
  sampleRate: 8000 | 12000 | 16000 | 24000 | 48000;
  bitrate?: number;
  opusComplexity?: number;
  maxCandidates: number;
  /** Unsent data-channel bytes before control messages are dropped (a client not reading). */
  maxBufferedBytes: number;
}

export interface PeerEvents {
  onState(peer: WebRTCPeer, state: PeerState): void;
  onAudio(peer: WebRTCPeer, frame: import('../../voice/types.js').AudioFrame): void;
  onControlOpen(peer: WebRTCPeer): void;
  /** The client's control channel closed: it hung up (or its browser tab went away). */
  onControlClosed(peer: WebRTCPeer): void;
  onControl(peer: WebRTCPeer, text: string): void;
}

/**
 * One browser (or any WebRTC client) on a WebRTCVoiceBackend: the werift peer connection,
 * its audio both ways (Opus in and out on one sendrecv transceiver), the `roomkit` control
 * data channel, and the bookkeeping the backend's reaper reads. All state is per peer and
 * bounded: candidates counted, the jitter buffer capped, data-channel backlog capped.
 */
export class WebRTCPeer {
  /** The connection id (the seed's `webrtc_id`): what the client PATCHes and DELETEs. */
  readonly id = randomBytes(12).toString('base64url');
  readonly createdAt = performance.now();
  state: PeerState = 'new';
  session?: VoiceSession;
  inputMuted = false;
  /** Set when the backend ends it, so the close is not reported as the client's drop. */
  closedByServer = false;
  lastInboundAt = performance.now();
  disconnectedAt: number | undefined;
  speaking = false;
  /** Bumped by interrupt; a stream being sent stops when it sees a newer generation. */
  generation = 0;
  candidates = 0;
  control?: RTCDataChannel;
  readonly sender: OpusRtpSender;
  /** Replies at any rate or shape become mono PCM at the session rate (resamplers kept per input rate). */
  readonly outbound: OutboundAudioConverter;
  private receiver?: OpusRtpReceiver;
  private pc?: RTCPeerConnection;
  private transceiver?: RTCRtpTransceiver;
  private readonly werift: Werift;

  constructor(
    werift: Werift,
    readonly auth: VoiceAuthResult,
    readonly roomId: string,
    readonly metadata: Record<string, unknown>,
    private readonly config: PeerConfig,
    private readonly events: PeerEvents,
  ) {
    this.werift = werift;
    this.sender = new OpusRtpSender({
      bitrate: config.bitrate,
      complexity: config.opusComplexity,
      send: (p) => this.sendRtp(p),
    });
    this.outbound = new OutboundAudioConverter(config.sampleRate);
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Apply the client's offer and return our answer (every host candidate gathered in it). */
  async answer(sdp: string): Promise<string> {
    const { RTCPeerConnection, useOPUS } = this.werift;
    const pc = new RTCPeerConnection({
      // An empty list is deliberate: werift's default asks a public STUN server.
      iceServers: this.config.iceServers,
      iceAdditionalHostAddresses: this.config.iceHostAddresses,
      icePortRange: this.config.icePortRange,
      iceTransportPolicy: this.config.iceTransportPolicy ?? 'all',
      codecs: { audio: [useOPUS()], video: [] },
    });
    this.pc = pc;
    pc.connectionStateChange.subscribe((s) => this.onConnectionState(s));
    pc.onDataChannel.subscribe((channel) => this.adoptChannel(channel));
    pc.onTrack.subscribe((track) => {
      if (track.kind !== 'audio') return;
      track.onReceiveRtp.subscribe((rtp) => this.onRtp(rtp.header, rtp.payload));
    });
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp });
    } catch (error) {
      throw new WebRTCSignallingError('invalid_offer', `offer rejected: ${errorMessage(error)}`, error);
    }
    const audio = pc.getTransceivers().find((t) => t.kind === 'audio');
    if (!audio) throw new WebRTCSignallingError('invalid_offer', 'the offer has no audio m-line');
    if (!pc.sctpTransport) {
      throw new WebRTCSignallingError(
        'invalid_offer',
        `the offer has no data channel (create "${CONTROL_CHANNEL_LABEL}" before the offer)`,
      );
    }
    // One transceiver both ways: the client's microphone in, the replies out.
    audio.setDirection('sendrecv');
    this.transceiver = audio;
    this.receiver = new OpusRtpReceiver({
      sampleRate: this.config.sampleRate,
      onFrame: (frame) => {
        if (!this.inputMuted) this.events.onAudio(this, frame);
      },
    });
    this.setState('connecting');
    for (const transport of pc.dtlsTransports) skipFinishedSequence(transport);
    try {
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (error) {
      throw new WebRTCSignallingError(
        'invalid_offer',
        `no answer to that offer: ${errorMessage(error)}`,
        error,
      );
    }
    const answer = pc.localDescription?.sdp;
    if (!answer) throw new WebRTCSignallingError('internal', 'werift produced no answer');
    return answer;
  }

  /** A trickled candidate from the client (null/empty: end of candidates). */
  async addCandidate(candidate: IceCandidateInit | null): Promise<void> {
    if (this.candidates >= this.config.maxCandidates) {
      throw new WebRTCSignallingError(
        'too_many_candidates',
        `at most ${this.config.maxCandidates} candidates per connection`,
      );
    }
    this.candidates++;
    const pc = this.pc;
    if (!pc || this.state === 'closed') throw new WebRTCSignallingError('not_found', 'connection closed');
    try {
      if (!candidate || candidate.candidate === '') await pc.addIceCandidate(undefined);
      else
        await pc.addIceCandidate({
          candidate: candidate.candidate,
          sdpMid: candidate.sdpMid ?? undefined,
          sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
          usernameFragment: candidate.usernameFragment ?? undefined,
        });
    } catch (error) {
      throw new WebRTCSignallingError(
        'invalid_candidate',
        `candidate rejected: ${errorMessage(error)}`,
        error,
      );
    }
  }

  /** A control message to the client; false when it could not go (closed, or backlog full). */
  sendControl(message: Record<string, unknown>): boolean {
    const dc = this.control;
    if (dc?.readyState !== 'open') return false;
    if (dc.bufferedAmount > this.config.maxBufferedBytes) return false;
    try {
      dc.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Outbound PCM at an Opus rate: framed, encoded and sent now (the caller paces). */
  sendPcm(pcm: Int16Array, sampleRate: number): void {
    if (!this.connected) return;
    if (!this.speaking) {
      this.speaking = true;
      this.sendControl({ type: 'speaking', speaking: true, who: 'assistant' });
    }
    this.sender.push(pcm, sampleRate);
  }

  /** Barge-in: drop what is queued here and tell the client to drop what it is playing. */
  clearPlayback(): void {
    this.generation++;
    this.sender.clear();
    // Resamplers hold the interrupted reply's tail in their filters: the next starts fresh.
    this.outbound.close();
    this.sendControl({ type: 'clear' });
    this.stopSpeaking();
  }

  stopSpeaking(): void {
    this.sender.flush();
    if (!this.speaking) return;
    this.speaking = false;
    this.sendControl({ type: 'speaking', speaking: false, who: 'assistant' });
  }

  receiveStats() {
    return this.receiver?.stats();
  }

  async close(reason: string): Promise<void> {
    if (this.state === 'closed') return;
    this.sendControl({ type: 'bye', reason });
    this.setState('closed');
    this.receiver?.close();
    this.outbound.close();
    const pc = this.pc;
    this.pc = undefined;
    await pc?.close().catch(() => {});
  }

  private sendRtp(packet: OutboundRtp): void {
    const sender = this.transceiver?.sender;
    if (!sender) return;
    const { RtpPacket, RtpHeader } = this.werift;
    const rtp = new RtpPacket(
      new RtpHeader({
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        marker: packet.marker,
      }),
      Buffer.from(packet.payload.buffer, packet.payload.byteOffset, packet.payload.byteLength),
    );
    // A send that fails (transport closing) loses one frame; the state change reports why.
    sender.sendRtp(rtp).catch(() => {});
  }

  private onRtp(header: { sequenceNumber: number; timestamp: number }, payload: Buffer): void {
    this.lastInboundAt = performance.now();
    this.receiver?.push(header.sequenceNumber, header.timestamp, payload);
  }

  private adoptChannel(channel: RTCDataChannel): void {
    if (channel.label !== CONTROL_CHANNEL_LABEL || this.control) return;
    this.control = channel;
    if (channel.readyState === 'open') this.events.onControlOpen(this);
    channel.stateChanged.subscribe((s) => {
      if (s === 'open') this.events.onControlOpen(this);
      // Clients never close it during a call: closing is how a closed RTCPeerConnection shows.
      else if (s === 'closed' && this.state !== 'closed') this.events.onControlClosed(this);
    });
    channel.onMessage.subscribe((data) => {
      this.lastInboundAt = performance.now();
      if (typeof data === 'string') this.events.onControl(this, data);
      else this.sendControl({ type: 'error', code: 'invalid_message', message: 'send JSON text' });
    });
  }

  private onConnectionState(s: string): void {
    if (this.state === 'closed') return;
    if (s === 'connected') {
      this.disconnectedAt = undefined;
      this.lastInboundAt = performance.now();
      this.setState('connected');
    } else if (s === 'disconnected') {
      this.disconnectedAt ??= performance.now();
      this.setState('disconnected');
    } else if (s === 'failed' || s === 'closed') {
      this.setState('closed');
      this.receiver?.close();
    }
  }

  private setState(state: PeerState): void {
    if (this.state === state) return;
    this.state = state;
    this.events.onState(this, state);
  }
}

/**
 * werift 0.24 numbers its first encrypted record (the server's Finished) from the epoch-0
 * count, then restarts application data at 1: the record whose number meets the Finished's
 * is a replay to Chromium, which drops it, and that lost SCTP packet holds the data channel
 * up for a whole retransmission timeout (about 1 s). Moving the counter past every number
 * the handshake used as soon as DTLS is up makes all application records fresh.
 */
function skipFinishedSequence(transport: {
  onStateChange: { subscribe(fn: (s: string) => void): unknown };
  dtls?: unknown;
}): void {
  transport.onStateChange.subscribe((state) => {
    if (state !== 'connected') return;
    const ctx = (transport.dtls as { dtls?: { recordSequenceNumber?: number } } | undefined)?.dtls;
    if (ctx && typeof ctx.recordSequenceNumber === 'number' && ctx.recordSequenceNumber < 64) {
      ctx.recordSequenceNumber += 64;
    }
  });
}
