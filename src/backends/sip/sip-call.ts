import { RoomKitError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PacerClock } from '../../voice/pacer.js';
import type { VoiceSession } from '../../voice/types.js';
import type { RtpCodec } from '../rtp/codecs/codec.js';
import type { DtmfEvent } from '../rtp/dtmf.js';
import type { MediaDirection, RtpMediaSession } from '../rtp/rtp-media-session.js';
import {
  audioOf,
  buildSdp,
  isHold,
  type Negotiated,
  negotiate,
  parseSdp,
  type SdpCodec,
  type SdpMedia,
} from './sdp.js';
import type { SipDialog } from './sip-dialog.js';
import type { SipRequest } from './sip-message.js';
import type { SipUserAgent } from './sip-user-agent.js';
import { parseNameAddr } from './sip-uri.js';

/** Something that happened to a call, for `onCallEvent` listeners. */
export type SipCallEvent =
  | { type: 'ringing' }
  | { type: 'answered' }
  | { type: 'held'; by: 'remote' | 'local' }
  | { type: 'resumed'; by: 'remote' | 'local' }
  | { type: 'codec-changed'; codec: string; sampleRate: number }
  | { type: 'transfer'; target: string; status: 'accepted' | 'succeeded' | 'failed'; detail?: string }
  | { type: 'session-refreshed' }
  | { type: 'ended'; reason: string; by: 'remote' | 'local' };

export class SipCallError extends RoomKitError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message, {
      code: 'sip_call_failed',
      retryable: status === 408 || status === 480 || status === 503,
    });
  }
}

/** What a call needs from the backend that owns it. */
export interface SipCallHost {
  ua: SipUserAgent;
  logger: Logger;
  clock: PacerClock;
  codecs: readonly string[];
  preferOwnCodecs: boolean;
  advertisedRtpHost: string;
  contactUser: string;
  createCodec(codec: SdpCodec): Promise<RtpCodec>;
  ended(call: SipCall, reason: string, by: 'remote' | 'local'): void;
  dtmf(call: SipCall, event: DtmfEvent): void;
  event(call: SipCall, event: SipCallEvent): void;
}

/**
 * An established (or establishing) call: its dialog, its RTP media and everything that can
 * happen inside the dialog - BYE, re-INVITE/UPDATE (hold, resume, codec change, session
 * refresh), INFO DTMF, REFER transfer. Creating calls is incoming-call.ts / outgoing-call.ts.
 */
export class SipCall {
  state: 'early' | 'confirmed' | 'ended' = 'early';
  dialog?: SipDialog;
  negotiated?: Negotiated;
  /** The far end put us on hold (we stop sending). */
  heldByRemote = false;
  /** We put the far end on hold. */
  heldLocally = false;
  private sdpVersion = 1;
  private readonly sdpSessionId = String(Math.floor(Math.random() * 1e9));
  /** Last 2xx we sent to an INVITE and the ACK we sent for theirs (retransmission handling). */
  lastAck?: SipRequest;
  sessionTimer?: { expiresS: number; refresher: 'uac' | 'uas'; weRefresh: boolean; timer?: unknown };
  private readonly transfers: ((status: number, detail: string) => void)[] = [];

  constructor(
    readonly host: SipCallHost,
    readonly session: VoiceSession,
    readonly direction: 'inbound' | 'outbound',
    public media: RtpMediaSession,
    readonly protocol: 'UDP' | 'TCP',
  ) {}

  get callId(): string {
    return this.dialog?.callId ?? String((this.session.metadata.sip as { callId?: string })?.callId ?? '');
  }

  /** Our SDP for the current state (offer or answer). */
  localSdp(codecs: SdpCodec[], direction: MediaDirection = this.direction2()): string {
    return buildSdp({
      address: this.host.advertisedRtpHost,
      port: this.media.local.port,
      rtcpPort: this.media.rtcpPort,
      sessionId: this.sdpSessionId,
      version: this.sdpVersion++,
      codecs,
      direction,
    });
  }

  private direction2(): MediaDirection {
    if (this.heldLocally) return this.heldByRemote ? 'inactive' : 'sendonly';
    return this.heldByRemote ? 'recvonly' : 'sendrecv';
  }

  /**
   * Applies an SDP offer from the far end (initial or re-INVITE) and returns our answer, or
   * the status to refuse it with (488 when nothing in it is usable).
   */
  async answerOffer(body: string): Promise<{ sdp: string } | { status: number; reason: string }> {
    const sdp = parseSdp(body);
    const audio = sdp && audioOf(sdp);
    if (!sdp || !audio) return { status: 488, reason: 'Not Acceptable Here' };
    const chosen = negotiate(audio.media, this.host.codecs, this.host.preferOwnCodecs);
    if (!chosen) return { status: 488, reason: 'Not Acceptable Here' };
    await this.applyRemote(audio.media, chosen);
    const answerCodecs = [chosen.codec, ...(chosen.dtmf ? [chosen.dtmf] : [])];
    const answer = buildSdp({
      address: this.host.advertisedRtpHost,
      port: this.media.local.port,
      rtcpPort: this.media.rtcpPort,
      sessionId: this.sdpSessionId,
      version: this.sdpVersion++,
      codecs: answerCodecs,
      direction: this.direction2(),
      refuse: { media: sdp.media, audioIndex: audio.index },
    });
    return { sdp: answer };
  }

  /** Applies the far end's answer to our offer; false when it is unusable. */
  async applyAnswer(body: string): Promise<boolean> {
    const sdp = parseSdp(body);
    const audio = sdp && audioOf(sdp);
    if (!audio) return false;
    const chosen = negotiate(audio.media, this.host.codecs, true);
    if (!chosen) return false;
    await this.applyRemote(audio.media, chosen);
    return true;
  }

  private async applyRemote(media: SdpMedia, chosen: Negotiated) {
    const previous = this.negotiated;
    const held = isHold(media);
    if (held !== this.heldByRemote) {
      this.heldByRemote = held;
      this.host.event(this, { type: held ? 'held' : 'resumed', by: 'remote' });
    }
    if (
      !previous ||
      previous.codec.name !== chosen.codec.name ||
      previous.codec.payloadType !== chosen.codec.payloadType
    ) {
      const codec = await this.host.createCodec(chosen.codec);
      this.media.setCodec(codec, chosen.codec.payloadType, chosen.dtmf?.payloadType);
      if (previous)
        this.host.event(this, { type: 'codec-changed', codec: codec.name, sampleRate: codec.sampleRate });
    } else if (previous.dtmf?.payloadType !== chosen.dtmf?.payloadType) {
      const codec = await this.host.createCodec(chosen.codec);
      this.media.setCodec(codec, chosen.codec.payloadType, chosen.dtmf?.payloadType);
    }
    this.negotiated = chosen;
    const address = media.connection;
    const current = this.media.remote;
    if (
      address &&
      address !== '0.0.0.0' &&
      (!current || current.host !== address || current.port !== media.port)
    ) {
      const rtcp = media.rtcpPort ? { host: address, port: media.rtcpPort } : undefined;
      this.media.setRemote({ host: address, port: media.port }, rtcp);
    }
    this.media.direction = this.direction2();
  }

  // ---- in-dialog requests ------------------------------------------------------------------

  /** A request inside this call's dialog (the backend matched it). */
  async handleRequest(req: SipRequest): Promise<void> {
    const ua = this.host.ua;
    switch (req.method) {
      case 'BYE':
        ua.respond(req, 200, 'OK');
        this.finish('remote_hangup', 'remote');
        return;
      case 'INVITE':
      case 'UPDATE':
        return this.handleReoffer(req);
      case 'INFO':
        return this.handleInfo(req);
      case 'OPTIONS':
        ua.respond(req, 200, 'OK', { headers: [['Allow', ALLOW]] });
        return;
      case 'REFER':
        // We do not follow transfers others ask of us: the agent stays in its room.
        ua.respond(req, 603, 'Declined');
        return;
      case 'NOTIFY':
        return this.handleNotify(req);
      default:
        ua.respond(req, 405, 'Method Not Allowed', { headers: [['Allow', ALLOW]] });
    }
  }

  private async handleReoffer(req: SipRequest): Promise<void> {
    const ua = this.host.ua;
    const headers: [string, string][] = [
      ['Contact', ua.contact(this.host.contactUser, this.protocol)],
      ['Allow', ALLOW],
      ['Supported', 'timer, replaces'],
    ];
    this.noteRefresh(req, headers);
    if (req.body.byteLength === 0) {
      // A refresh without an offer (UPDATE, or a re-INVITE we answer with an offer).
      if (req.method === 'UPDATE') ua.respond(req, 200, 'OK', { headers });
      else ua.respond(req, 200, 'OK', { headers, body: this.localSdp(this.offeredCodecs()) });
      this.host.event(this, { type: 'session-refreshed' });
      return;
    }
    const result = await this.answerOffer(req.body.toString('utf8'));
    if ('status' in result) {
      ua.respond(req, result.status, result.reason, {
        headers: [['Warning', '305 roomkit "Incompatible media format"']],
      });
      return;
    }
    ua.respond(req, 200, 'OK', { headers, body: result.sdp });
  }

  private handleInfo(req: SipRequest): void {
    const type = (req.headers.get('Content-Type') ?? '').toLowerCase();
    const body = req.body.toString('utf8');
    let digit: string | undefined;
    let durationMs = 160;
    if (type.startsWith('application/dtmf-relay')) {
      digit = /signal\s*=\s*([0-9A-D*#])/i.exec(body)?.[1];
      const d = /duration\s*=\s*(\d+)/i.exec(body)?.[1];
      if (d) durationMs = Number(d);
    } else if (type.startsWith('application/dtmf')) {
      digit = /^\s*([0-9A-D*#])\s*$/i.exec(body)?.[1];
    } else if (body.length === 0) {
      this.host.ua.respond(req, 200, 'OK'); // an INFO keep-alive
      return;
    } else {
      this.host.ua.respond(req, 415, 'Unsupported Media Type', {
        headers: [['Accept', 'application/dtmf-relay, application/dtmf']],
      });
      return;
    }
    if (!digit) {
      this.host.ua.respond(req, 400, 'Bad Request (no DTMF signal)');
      return;
    }
    this.host.ua.respond(req, 200, 'OK');
    this.host.dtmf(this, {
      digit: digit.toUpperCase() as DtmfEvent['digit'],
      durationMs,
      volume: 10,
      source: 'sip-info',
    });
  }

  private handleNotify(req: SipRequest): void {
    this.host.ua.respond(req, 200, 'OK');
    // A REFER's progress (RFC 3515): message/sipfrag with the transferee's call status.
    if (!(req.headers.get('Event') ?? '').toLowerCase().startsWith('refer')) return;
    const m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/m.exec(req.body.toString('utf8'));
    if (!m) return;
    const status = Number(m[1]);
    if (status < 200) return;
    for (const done of this.transfers.splice(0)) done(status, m[2]);
  }

  /** Session-Expires from a refresh: re-arm our guard (RFC 4028). */
  noteRefresh(req: SipRequest, responseHeaders: [string, string][]): void {
    const se = req.headers.get('Session-Expires');
    const timer = this.sessionTimer;
    if (!se && !timer) return;
    const seconds = Number.parseInt(se ?? String(timer!.expiresS), 10);
    const refresher = (/refresher\s*=\s*(uac|uas)/i.exec(se ?? '')?.[1] ?? timer?.refresher ?? 'uac') as
      | 'uac'
      | 'uas';
    responseHeaders.push(['Session-Expires', `${seconds};refresher=${refresher}`], ['Require', 'timer']);
    // A refresh from the far end: they are the refresher from now on (uas of this request is us).
    this.armSessionTimer(seconds, refresher, refresher === 'uas');
  }

  /** Starts the RFC 4028 timers: refresh at half time if we refresh, else BYE when it lapses. */
  armSessionTimer(expiresS: number, refresher: 'uac' | 'uas', weRefresh: boolean): void {
    if (this.sessionTimer?.timer !== undefined) this.host.clock.clearTimer(this.sessionTimer.timer);
    const delay = weRefresh
      ? (expiresS * 1000) / 2
      : expiresS * 1000 - Math.min(32_000, (expiresS * 1000) / 3);
    const timer = this.host.clock.setTimer(() => {
      if (this.state !== 'confirmed') return;
      if (weRefresh) void this.refresh();
      else {
        this.host.logger.warn({ callId: this.callId }, 'SIP session expired without a refresh; hanging up');
        void this.hangup('session_expired');
      }
    }, delay);
    (timer as { unref?: () => void }).unref?.();
    this.sessionTimer = { expiresS, refresher, weRefresh, timer };
  }

  // ---- local actions -----------------------------------------------------------------------

  /** Sends a request in the dialog and waits for the final response. */
  async request(
    method: string,
    opts: { body?: string; contentType?: string; headers?: [string, string][] } = {},
  ) {
    const dialog = this.dialog;
    if (!dialog || this.state === 'ended') throw new SipCallError(`call ${this.callId} has no dialog`);
    const ua = this.host.ua;
    const req = dialog.createRequest(method, ua.via(this.protocol), { headers: opts.headers });
    if (method === 'INVITE' || method === 'UPDATE')
      req.headers.add('Contact', ua.contact(this.host.contactUser, this.protocol));
    if (opts.body !== undefined) {
      req.headers.set('Content-Type', opts.contentType ?? 'application/sdp');
      req.body = Buffer.from(opts.body, 'utf8');
    }
    const res = await ua.request(req, dialog.nextHop());
    if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const ack = dialog.createRequest('ACK', ua.via(this.protocol), { cseq: dialog.localSeq });
      this.lastAck = ack;
      ua.sendStateless(ack, dialog.nextHop());
    }
    if (res.status === 481 || res.status === 408) this.finish(`dialog_gone_${res.status}`, 'remote');
    return res;
  }

  /** Re-INVITE with a new direction (hold = a=sendonly, RFC 6337). */
  async setLocalHold(hold: boolean): Promise<void> {
    this.heldLocally = hold;
    this.media.direction = this.direction2();
    const res = await this.request('INVITE', { body: this.localSdp(this.offeredCodecs()) });
    if (res.status >= 300)
      throw new SipCallError(`${hold ? 'hold' : 'resume'} refused: ${res.status} ${res.reason}`, res.status);
    if (res.body.byteLength > 0) await this.applyAnswer(res.body.toString('utf8'));
    this.host.event(this, { type: hold ? 'held' : 'resumed', by: 'local' });
  }

  /** Session refresh (RFC 4028): a re-INVITE with the same SDP. */
  async refresh(): Promise<void> {
    const se = this.sessionTimer;
    const headers: [string, string][] = se
      ? [
          ['Session-Expires', `${se.expiresS};refresher=uac`],
          ['Supported', 'timer'],
        ]
      : [];
    const res = await this.request('INVITE', { body: this.localSdp(this.offeredCodecs()), headers });
    if (res.status >= 300) return;
    if (se) this.armSessionTimer(se.expiresS, 'uac', true);
    this.host.event(this, { type: 'session-refreshed' });
  }

  /** Blind transfer (RFC 3515): REFER the caller to `target`; hangs up once it succeeded. */
  async transfer(target: string, timeoutMs = 30_000): Promise<{ status: number; detail: string }> {
    const ua = this.host.ua;
    const referredBy = parseNameAddr(this.dialog!.localAddress)?.uri;
    const res = await this.request('REFER', {
      headers: [
        ['Refer-To', `<${target}>`],
        [
          'Referred-By',
          referredBy
            ? `<sip:${referredBy.user ?? ''}@${referredBy.host}>`
            : ua.contact(this.host.contactUser, this.protocol),
        ],
        ['Contact', ua.contact(this.host.contactUser, this.protocol)],
      ],
    });
    if (res.status >= 300) {
      this.host.event(this, {
        type: 'transfer',
        target,
        status: 'failed',
        detail: `${res.status} ${res.reason}`,
      });
      throw new SipCallError(`transfer refused: ${res.status} ${res.reason}`, res.status);
    }
    this.host.event(this, { type: 'transfer', target, status: 'accepted' });
    const outcome = await new Promise<{ status: number; detail: string }>((resolve) => {
      const timer = this.host.clock.setTimer(() => resolve({ status: 408, detail: 'no NOTIFY' }), timeoutMs);
      this.transfers.push((status, detail) => {
        this.host.clock.clearTimer(timer);
        resolve({ status, detail });
      });
    });
    const ok = outcome.status >= 200 && outcome.status < 300;
    this.host.event(this, {
      type: 'transfer',
      target,
      status: ok ? 'succeeded' : 'failed',
      detail: `${outcome.status} ${outcome.detail}`,
    });
    if (ok) await this.hangup('transferred');
    return outcome;
  }

  /** DTMF as SIP INFO (application/dtmf-relay), one request per digit. */
  async sendInfoDtmf(digits: string, durationMs = 160): Promise<void> {
    for (const digit of digits) {
      const res = await this.request('INFO', {
        contentType: 'application/dtmf-relay',
        body: `Signal=${digit}\r\nDuration=${durationMs}\r\n`,
      });
      if (res.status >= 300) throw new SipCallError(`INFO refused: ${res.status} ${res.reason}`, res.status);
    }
  }

  /** Our side hangs up: BYE (the response is not waited for beyond the transaction timeout). */
  async hangup(reason = 'hangup'): Promise<void> {
    if (this.state === 'ended') return;
    const dialog = this.dialog;
    const wasConfirmed = this.state === 'confirmed';
    this.finish(reason, 'local');
    if (dialog && wasConfirmed) {
      const ua = this.host.ua;
      const bye = dialog.createRequest('BYE', ua.via(this.protocol), {
        headers: [['Reason', `SIP;text="${reason}"`]],
      });
      await ua.request(bye, dialog.nextHop());
    }
  }

  /** The call is over (idempotent): timers stop, media closes, the backend is told once. */
  finish(reason: string, by: 'remote' | 'local'): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.sessionTimer?.timer !== undefined) this.host.clock.clearTimer(this.sessionTimer.timer);
    for (const done of this.transfers.splice(0)) done(487, 'call ended');
    void this.media.close();
    this.host.ended(this, reason, by);
  }

  offeredCodecs(): SdpCodec[] {
    const n = this.negotiated;
    return n ? [n.codec, ...(n.dtmf ? [n.dtmf] : [])] : [];
  }
}

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, UPDATE';
