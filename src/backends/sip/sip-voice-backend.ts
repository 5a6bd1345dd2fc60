import { errorMessage, ValidationError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { ConnectOptions } from '../../voice/backends/voice-backend.js';
import { type PacerClock, systemClock } from '../../voice/pacer.js';
import type { VoiceSession } from '../../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../../voice/types.js';
import { createCodec } from '../rtp/codecs/codec-registry.js';
import type { DtmfSendOptions } from '../rtp/dtmf.js';
import type { JitterBufferOptions } from '../rtp/jitter-buffer.js';
import { OutboundAudioConverter } from '../rtp/outbound-audio.js';
import { RtpMediaSession } from '../rtp/rtp-media-session.js';
import { RTPVoiceBackend } from '../rtp/rtp-voice-backend.js';
import type { IncomingCallInfo } from './call-info.js';
import type { DigestCredentials } from './digest-auth.js';
import { answerIncoming, type CallRoute, confirmIncoming, type PendingInvite } from './incoming-call.js';
import { type DialOptions, dialOut, type OutgoingHost } from './outgoing-call.js';
import { Registration, type RegistrationOptions, type RegistrationState } from './registration.js';
import { ALLOW, type SipCall, type SipCallEvent, SipCallError } from './sip-call.js';
import { dialogId, tagOf } from './sip-dialog.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipTarget, SipTransport } from './sip-transport.js';
import { type SipTrace, SipUserAgent } from './sip-user-agent.js';
import { parseCSeq } from './sip-uri.js';
import { TcpTransport } from './tcp-transport.js';
import type { TimerConfig } from './transactions.js';
import { UdpTransport } from './udp-transport.js';
import { advertisedHostFor } from './local-address.js';

export interface SIPVoiceBackendOptions {
  /** Address to listen on (default 127.0.0.1; '0.0.0.0' for a phone network). */
  host?: string;
  /** SIP port (default 5060; 0 lets the OS choose - read it from `listen()`). */
  port?: number;
  /** Transports to listen on (default both). */
  transports?: ('udp' | 'tcp')[];
  /** Host written into Via, Contact and SDP (default: `host`, or this machine's first address for 0.0.0.0). */
  advertisedHost?: string;
  /** Address RTP binds to (default: `host`). */
  rtpHost?: string;
  /** Audio codecs in preference order (default G722, PCMU, PCMA); telephone-event is always offered. */
  codecs?: string[];
  /** Answer with our preference rather than the caller's (default false, as RFC 3264 suggests). */
  preferOwnCodecs?: boolean;
  dtmfPayloadType?: number;
  /** Decide the room (and participant) of an incoming call, or refuse it. Default: `roomId`, else the dialled user. */
  routeCall?: (call: IncomingCallInfo) => CallRoute | undefined | Promise<CallRoute | undefined>;
  /** Room for incoming calls when there is no `routeCall`. */
  roomId?: string;
  /** channelId of the sessions calls create (default 'voice'; the channel that adopts them). */
  channelId?: string;
  /** Our user part in Contact and the default From (default 'roomkit'). */
  user?: string;
  /** From for outbound calls (default `sip:<user>@<advertisedHost>`). */
  from?: string;
  /** Register to a registrar on `listen()` and keep the binding fresh. */
  registrar?: RegistrationOptions;
  /** Credentials for proxies that challenge our INVITEs (default: the registrar's). */
  credentials?: DigestCredentials;
  /** Session timer we ask for and accept (RFC 4028; default 1800 s, minimum 90 s). */
  sessionExpires?: number;
  minSessionExpires?: number;
  /** Ring this long before answering (default 0). */
  ringMs?: number;
  userAgent?: string;
  /** Seconds between RTCP reports (default 5). */
  rtcpInterval?: number;
  jitterBuffer?: JitterBufferOptions;
  /** Silence delivered when the caller stops sending RTP (DTX, hold), so turns end (default 1000 ms; 0 off). */
  silenceFillMs?: number;
  /** Hang up when the caller's RTP stops for this long (seconds; default 0 = never). */
  inactivityTimeout?: number;
  /** SIP timer overrides (T1, T2, T4 in ms). */
  timers?: Partial<TimerConfig>;
  clock?: PacerClock;
  logger?: Logger;
}

export type SipCallEventCallback = (session: VoiceSession, event: SipCallEvent) => void;

/**
 * Phone calls into rooms with no media server: a SIP user agent (UDP and TCP) that answers
 * INVITEs and places calls, with its own RTP (see RTPVoiceBackend). An incoming call is
 * routed to a room (`routeCall`), answered with the best common codec (G.722 wideband,
 * PCMU, PCMA), and announced through `onSessionReady` once the caller's ACK arrives, so a
 * VoiceChannel or RealtimeVoiceChannel picks it up like any other session. Caller and callee
 * (From, To, P-Asserted-Identity) are in `session.metadata`. `dial` calls out, `transfer`
 * REFERs, `hold`/`resume` re-INVITE, digits go both ways (RFC 4733 and SIP INFO).
 */
export class SIPVoiceBackend extends RTPVoiceBackend {
  override readonly name: string = 'sip';
  override readonly capabilities: number = VoiceCapability.INTERRUPTION | VoiceCapability.DTMF_SIGNALING;
  readonly ua: SipUserAgent;
  readonly registration?: Registration;
  private readonly sip: SIPVoiceBackendOptions;
  private readonly transportsList: SipTransport[];
  private readonly calls = new Map<string, SipCall>(); // by session id
  private readonly dialogs = new Map<string, SipCall>(); // by dialog id
  private readonly pending = new Map<string, PendingInvite>(); // incoming INVITEs by Call-ID
  private readonly eventListeners: SipCallEventCallback[] = [];
  private readonly host: OutgoingHost;
  private readonly sipClock: PacerClock;
  private listening?: Promise<{ udp?: number; tcp?: number }>;
  private advertised: string;

  constructor(options: SIPVoiceBackendOptions = {}) {
    const logger = options.logger ?? createLogger('roomkit.backends.sip');
    super({
      rtcpInterval: options.rtcpInterval,
      jitterBuffer: options.jitterBuffer,
      inactivityTimeout: options.inactivityTimeout,
      clock: options.clock,
      logger,
    });
    this.sip = options;
    this.sipClock = options.clock ?? systemClock;
    const kinds = options.transports ?? ['udp', 'tcp'];
    this.transportsList = kinds.map((k) => (k === 'tcp' ? new TcpTransport() : new UdpTransport()));
    this.advertised = advertisedHostFor(options.advertisedHost ?? options.host ?? '127.0.0.1');
    this.ua = new SipUserAgent({
      transports: this.transportsList,
      advertisedHost: this.advertised,
      userAgent: options.userAgent ?? 'roomkit',
      clock: this.sipClock,
      timers: options.timers,
      logger,
      onRequest: (req, source) => this.onRequest(req, source),
      onStrayResponse: (res) => this.onStrayResponse(res),
      onTrace: (trace) => this.trace(trace),
    });
    this.host = this.makeHost();
    if (options.registrar) {
      this.registration = new Registration(
        {
          ua: this.ua,
          clock: this.sipClock,
          logger,
          contactUser: options.user ?? 'roomkit',
          onState: (state, detail) => this.logger.info({ state, ...detail }, 'SIP registration'),
        },
        options.registrar,
      );
    }
  }

  /** Binds the SIP transports (and registers, when a registrar is configured). */
  listen(): Promise<{ udp?: number; tcp?: number }> {
    this.listening ??= this.bind();
    return this.listening;
  }

  /** Calls a SIP URI and puts the answered call into `opts.roomId`. */
  async dial(to: string, opts: DialOptions): Promise<VoiceSession> {
    await this.listen();
    const call = await dialOut(this.host, to, opts);
    return call.session;
  }

  /** VoiceChannel path: `kit.connectVoice(room, participant, { metadata: { to: 'sip:...' } })` dials. */
  override async connect(
    roomId: string,
    participantId: string,
    _channelId: string,
    opts: ConnectOptions = {},
  ) {
    const to = opts.metadata?.to;
    if (typeof to !== 'string')
      throw new ValidationError('SIP connect needs metadata.to, the SIP URI to call');
    return this.dial(to, { roomId, participantId, metadata: opts.metadata });
  }

  /** Hangs up (BYE) without waiting for the far end's answer. */
  override async disconnect(session: VoiceSession): Promise<void> {
    const call = this.calls.get(session.id);
    this.forget(session);
    void call?.hangup('hangup');
    await super.disconnect(session);
  }

  async hold(session: VoiceSession): Promise<void> {
    await this.callOf(session).setLocalHold(true);
  }

  async resume(session: VoiceSession): Promise<void> {
    await this.callOf(session).setLocalHold(false);
  }

  /** Blind transfer: the caller is REFERred to `target`; our leg hangs up when it succeeded. */
  transfer(
    session: VoiceSession,
    target: string,
    timeoutMs?: number,
  ): Promise<{ status: number; detail: string }> {
    return this.callOf(session).transfer(target, timeoutMs);
  }

  /** Digits to the caller: RFC 4733 when negotiated (default), or SIP INFO. */
  override async sendDtmf(
    session: VoiceSession,
    digits: string,
    opts: DtmfSendOptions & { method?: 'rfc4733' | 'info' } = {},
  ): Promise<void> {
    const call = this.callOf(session);
    if (opts.method === 'info' || !call.negotiated?.dtmf) return call.sendInfoDtmf(digits, opts.durationMs);
    return super.sendDtmf(session, digits, opts);
  }

  /** The SIP side of a session (dialog, negotiated codec, hold state). */
  getCall(session: VoiceSession): SipCall | undefined {
    return this.calls.get(session.id);
  }

  onCallEvent(cb: SipCallEventCallback): () => void {
    this.eventListeners.push(cb);
    return () => {
      const i = this.eventListeners.indexOf(cb);
      if (i >= 0) this.eventListeners.splice(i, 1);
    };
  }

  get registrationState(): RegistrationState | undefined {
    return this.registration?.state;
  }

  override async close(): Promise<void> {
    // Every call gets its BYE; the answers are awaited briefly (a dead peer must not stall us).
    const byes = [...this.calls.values()].map((call) => call.hangup('shutdown').catch(() => {}));
    await Promise.race([Promise.all(byes), new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.registration?.stop().catch(() => {});
    await super.close();
    await this.ua.close();
    this.listening = undefined;
  }

  // ---- internals -----------------------------------------------------------------------

  private async bind(): Promise<{ udp?: number; tcp?: number }> {
    const host = this.sip.host ?? '127.0.0.1';
    const port = this.sip.port ?? 5060;
    const out: { udp?: number; tcp?: number } = {};
    // UDP first: with port 0, TCP takes the same number when it is free (one port to announce).
    for (const t of this.transportsList) {
      const wanted = port === 0 && (out.udp ?? out.tcp) ? (out.udp ?? out.tcp)! : port;
      // A port we chose to share may be taken on the other transport: then any port will do.
      if (port === 0 && wanted !== 0) await t.listen(host, wanted).catch(() => t.listen(host, 0));
      else await t.listen(host, wanted);
      out[t.protocol === 'UDP' ? 'udp' : 'tcp'] = t.local.port;
    }
    if (this.registration) await this.registration.start();
    return out;
  }

  private callOf(session: VoiceSession): SipCall {
    const call = this.calls.get(session.id);
    if (!call || call.state === 'ended') throw new SipCallError(`no SIP call for session ${session.id}`);
    return call;
  }

  private onRequest(req: SipRequest, source: SipTarget): void {
    const toTag = tagOf(req.headers.get('To'));
    const callId = req.headers.get('Call-ID')!;
    if (req.method === 'CANCEL') {
      this.onCancel(req);
      return;
    }
    if (!toTag) {
      if (req.method === 'INVITE') {
        this.onInvite(req, source, callId);
        return;
      }
      if (req.method === 'OPTIONS') {
        this.ua.respond(req, 200, 'OK', {
          headers: [
            ['Allow', ALLOW],
            ['Accept', 'application/sdp'],
            ['Supported', 'timer'],
          ],
        });
        return;
      }
      if (req.method === 'ACK') return; // an ACK for a final response we no longer know
      this.ua.respond(req, 405, 'Method Not Allowed', { headers: [['Allow', ALLOW]] });
      return;
    }
    const call = this.dialogs.get(dialogId(callId, toTag, tagOf(req.headers.get('From')) ?? ''));
    if (req.method === 'ACK') {
      if (call) this.onAck(call, req);
      return;
    }
    if (!call || call.state === 'ended') {
      this.ua.respond(req, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const cseq = parseCSeq(req.headers.get('CSeq')!)!.seq;
    if (!call.dialog!.acceptRemoteSeq(cseq)) {
      this.ua.respond(req, 500, 'Server Internal Error (CSeq out of order)');
      return;
    }
    if (req.method === 'INVITE') this.reinvites.set(call, req);
    call.handleRequest(req).catch((error) => {
      this.logger.error(
        { callId, method: req.method, err: errorMessage(error) },
        'SIP in-dialog request failed',
      );
    });
  }

  private readonly reinvites = new WeakMap<SipCall, SipRequest>();

  private onInvite(req: SipRequest, source: SipTarget, callId: string): void {
    if (this.pending.has(callId)) return; // a retransmission that slipped past the transaction (new branch)
    const pending: PendingInvite = { cancelled: false };
    this.pending.set(callId, pending);
    this.invites.set(callId, req);
    answerIncoming(this.host, req, source, pending)
      .catch((error) => {
        this.logger.error({ callId, err: errorMessage(error) }, 'answering an incoming call failed');
        this.ua.respond(req, 500, 'Server Internal Error');
        pending.call?.finish('setup_failed', 'local');
      })
      .finally(() => {
        // Refused or failed calls leave nothing behind (their ACK is the transaction's business).
        if (pending.call?.state !== 'early') {
          this.pending.delete(callId);
          this.invites.delete(callId);
        }
      });
  }

  private readonly invites = new Map<string, SipRequest>();

  private onAck(call: SipCall, ack: SipRequest): void {
    const reinvite = this.reinvites.get(call);
    if (reinvite) {
      this.ua.transactions.acknowledge(reinvite);
      this.reinvites.delete(call);
    }
    const invite = this.invites.get(call.callId);
    if (invite && call.state === 'early') {
      this.ua.transactions.acknowledge(invite);
      this.invites.delete(call.callId);
      this.pending.delete(call.callId);
      void confirmIncoming(call, ack);
    }
  }

  private onCancel(cancel: SipRequest): void {
    const invite = this.ua.transactions.inviteFor(cancel);
    if (!invite) {
      this.ua.respond(cancel, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.ua.respond(cancel, 200, 'OK');
    const callId = invite.headers.get('Call-ID')!;
    const pending = this.pending.get(callId);
    if (pending) pending.cancelled = true;
    this.ua.respond(invite, 487, 'Request Terminated', { toTag: pending?.call?.dialog?.localTag });
    pending?.call?.finish('cancelled', 'remote');
    this.pending.delete(callId);
    this.invites.delete(callId);
  }

  private onStrayResponse(res: SipResponse): void {
    // Our ACK was lost: the far end retransmits its 2xx; repeat the ACK (RFC 3261 13.2.2.4).
    if (
      res.status < 200 ||
      res.status >= 300 ||
      parseCSeq(res.headers.get('CSeq') ?? '')?.method !== 'INVITE'
    )
      return;
    const callId = res.headers.get('Call-ID');
    const call = [...this.dialogs.values()].find((c) => c.callId === callId);
    if (call?.lastAck && call.dialog) this.ua.sendStateless(call.lastAck, call.dialog.nextHop());
  }

  private trace(t: SipTrace): void {
    if (!this.traceEmitter) return;
    const callId = t.message.headers.get('Call-ID');
    const call = callId ? [...this.calls.values()].find((c) => c.callId === callId) : undefined;
    const summary =
      t.message.kind === 'request'
        ? `${t.message.method} ${t.message.uri}`
        : `${t.message.status} ${t.message.reason}`;
    this.emitTrace({
      protocol: 'sip',
      direction: t.direction,
      summary,
      raw: t.raw,
      sessionId: call?.session.id,
      roomId: call?.session.roomId,
      metadata: { callId, peer: `${t.peer.transport.toLowerCase()}:${t.peer.host}:${t.peer.port}` },
    });
  }

  private forget(session: VoiceSession): void {
    const call = this.calls.get(session.id);
    this.calls.delete(session.id);
    if (call?.dialog) this.dialogs.delete(call.dialog.id);
  }

  private makeHost(): OutgoingHost {
    const backend = this;
    const o = this.sip;
    const codecs = o.codecs ?? ['G722', 'PCMU', 'PCMA'];
    return {
      ua: this.ua,
      logger: this.logger,
      clock: this.sipClock,
      codecs,
      preferOwnCodecs: o.preferOwnCodecs ?? false,
      get advertisedRtpHost() {
        return advertisedHostFor(o.advertisedHost ?? o.rtpHost ?? o.host ?? '127.0.0.1');
      },
      contactUser: o.user ?? 'roomkit',
      get fromUri() {
        return o.from ?? `<sip:${o.user ?? 'roomkit'}@${backend.advertised}>`;
      },
      defaultCredentials:
        o.credentials ??
        (o.registrar
          ? { username: o.registrar.authUsername ?? o.registrar.username, password: o.registrar.password }
          : undefined),
      defaultProtocol: (o.transports ?? ['udp'])[0] === 'tcp' ? 'TCP' : 'UDP',
      sessionExpires: Math.max(o.sessionExpires ?? 1800, o.minSessionExpires ?? 90),
      minSessionExpires: o.minSessionExpires ?? 90,
      ringMs: o.ringMs ?? 0,
      createCodec: (c) => createCodec(c),
      routeCall: async (info) => {
        if (o.routeCall) return o.routeCall(info);
        return { roomId: o.roomId ?? info.callee };
      },
      newCallSession: (roomId, participantId, metadata) =>
        this.newSession(roomId, participantId, o.channelId ?? 'voice', metadata),
      openMedia: (session) => this.openMedia(session),
      adopt: (call) => {
        this.calls.set(call.session.id, call);
        if (call.dialog) this.dialogs.set(call.dialog.id, call);
      },
      ready: (call) => this.callReady(call),
      ended: (call, reason, by) => this.callEnded(call, reason, by),
      dtmf: (call, event) => this.emitDtmf(call.session, event),
      event: (call, event) => this.emitCallEvent(call, event),
    };
  }

  private async openMedia(session: VoiceSession): Promise<RtpMediaSession> {
    const o = this.sip;
    const codec = await createCodec({ name: 'PCMU', clockRate: 8000 });
    const rtp = await RtpMediaSession.open({
      local: { host: o.rtpHost ?? o.host ?? '127.0.0.1', port: 0 },
      codec,
      payloadType: 0,
      rtcpIntervalMs: (o.rtcpInterval ?? 5) * 1000,
      symmetric: true,
      jitter: o.jitterBuffer,
      clock: o.clock,
      logger: this.logger,
      inactivityTimeoutMs: (o.inactivityTimeout ?? 0) * 1000,
      silenceFillMs: o.silenceFillMs,
      ...this.mediaCallbacks(session),
    });
    session.metadata.localAddr = { host: rtp.local.host, port: rtp.local.port };
    this.media.set(session.id, { rtp, out: new OutboundAudioConverter(rtp.sampleRate) });
    return rtp;
  }

  private callReady(call: SipCall): void {
    const m = this.media.get(call.session.id);
    if (m) m.out.retarget(m.rtp.sampleRate);
    const remote = m?.rtp.remote;
    if (remote) call.session.metadata.remoteAddr = remote;
    call.session.metadata.codec = call.negotiated?.codec.name;
    this.sessions.set(call.session.id, call.session);
    if (call.dialog) this.dialogs.set(call.dialog.id, call);
    this.emitSessionReady(call.session);
  }

  private callEnded(call: SipCall, reason: string, by: 'remote' | 'local'): void {
    const session = call.session;
    // A call that ended before its ACK (timeout, CANCEL) must not leave its INVITE behind.
    this.pending.delete(call.callId);
    this.invites.delete(call.callId);
    const wasLive = this.sessions.has(session.id);
    this.forget(session);
    const m = this.media.get(session.id);
    this.media.delete(session.id);
    m?.out.close();
    this.emitCallEvent(call, { type: 'ended', reason, by });
    if (by === 'remote' && wasLive && session.state !== VoiceSessionState.ENDED)
      this.emitClientDisconnected(session);
    else {
      this.forgetSession(session);
      session.state = VoiceSessionState.ENDED;
    }
  }

  protected override mediaTimedOut(session: VoiceSession): void {
    const call = this.calls.get(session.id);
    this.logger.warn({ backend: this.name, sessionId: session.id }, 'no RTP from the caller; hanging up');
    if (!call) return;
    // The caller is gone as far as the room is concerned; BYE tells their side.
    if (session.state !== VoiceSessionState.ENDED) this.emitClientDisconnected(session);
    void call.hangup('rtp_timeout');
  }

  private emitCallEvent(call: SipCall, event: SipCallEvent): void {
    if (event.type === 'codec-changed') {
      const m = this.media.get(call.session.id);
      if (m) m.out.retarget(event.sampleRate);
    }
    for (const cb of this.eventListeners) {
      try {
        cb(call.session, event);
      } catch (error) {
        this.logger.error({ err: errorMessage(error) }, 'SIP call event listener threw');
      }
    }
  }
}
