import { errorMessage } from '../../core/errors.js';
import type { VoiceSession } from '../../voice/types.js';
import type { RtpMediaSession } from '../rtp/rtp-media-session.js';
import { callMetadata, type IncomingCallInfo, incomingCallInfo } from './call-info.js';
import { audioOf, negotiate, offerCodecs, parseSdp } from './sdp.js';
import { ALLOW, SipCall, type SipCallHost } from './sip-call.js';
import { newTag, SipDialog } from './sip-dialog.js';
import type { SipRequest } from './sip-message.js';
import type { SipTarget } from './sip-transport.js';

/** Where an incoming call goes: a room (and who the caller is there), or a refusal. */
export type CallRoute =
  | { roomId: string; participantId?: string; metadata?: Record<string, unknown> }
  /** `headers`: added to the refusal (a 503's `Retry-After`, say). */
  | { reject: number; reason?: string; headers?: [string, string][] };

export interface CallSetupHost extends SipCallHost {
  routeCall(info: IncomingCallInfo): Promise<CallRoute | undefined>;
  openMedia(session: VoiceSession, protocol: 'UDP' | 'TCP'): Promise<RtpMediaSession>;
  newCallSession(roomId: string, participantId: string, metadata: Record<string, unknown>): VoiceSession;
  adopt(call: SipCall): void;
  ready(call: SipCall): void;
  /** Session-Expires we ask for / accept (seconds) and the smallest we take (Min-SE). */
  sessionExpires: number;
  minSessionExpires: number;
  ringMs: number;
}

/** Pending incoming INVITEs by branch, so a CANCEL can find them while we route. */
export interface PendingInvite {
  cancelled: boolean;
  call?: SipCall;
}

/**
 * Answers a new INVITE as a UAS: 100 Trying at once, route the call (a room, or a refusal),
 * 180 Ringing, open RTP, negotiate the offer, 200 OK with our answer. The call is live for
 * the channels when the ACK arrives (`host.ready`); no ACK within 64*T1 hangs it up.
 */
export async function answerIncoming(
  host: CallSetupHost,
  invite: SipRequest,
  source: SipTarget,
  pending: PendingInvite,
): Promise<void> {
  const ua = host.ua;
  ua.respond(invite, 100, 'Trying');
  const info = incomingCallInfo(invite, source);
  const tag = newTag();
  const se = sessionExpiresOf(invite);
  if (se && se.seconds < host.minSessionExpires) {
    ua.respond(invite, 422, 'Session Interval Too Small', {
      toTag: tag,
      headers: [['Min-SE', String(host.minSessionExpires)]],
    });
    return;
  }
  if (invite.body.byteLength > 0 && !canAnswer(invite.body.toString('utf8'), host.codecs)) {
    ua.respond(invite, 488, 'Not Acceptable Here', {
      toTag: tag,
      headers: [['Warning', '305 roomkit "Incompatible media format"']],
    });
    return;
  }
  let route: CallRoute | undefined;
  try {
    route = await host.routeCall(info);
  } catch (error) {
    host.logger.error(
      { callId: info.callId, err: errorMessage(error) },
      'SIP routeCall threw; refusing the call',
    );
    route = { reject: 500, reason: 'Server Internal Error' };
  }
  if (pending.cancelled) return;
  if (!route) route = { reject: 404, reason: 'Not Found' };
  if ('reject' in route) {
    ua.respond(invite, route.reject, route.reason ?? 'Declined', { toTag: tag, headers: route.headers });
    return;
  }
  ua.respond(invite, 180, 'Ringing', {
    toTag: tag,
    headers: [['Contact', ua.contact(host.contactUser, source.transport)]],
  });
  const metadata = { ...callMetadata({ ...info, direction: 'inbound' }), ...route.metadata };
  const session = host.newCallSession(route.roomId, route.participantId ?? info.caller, metadata);
  const media = await host.openMedia(session, source.transport);
  const call = new SipCall(host, session, 'inbound', media, source.transport);
  call.dialog = SipDialog.asUas(invite, tag, source);
  pending.call = call;
  host.adopt(call);
  const offer = invite.body.toString('utf8');
  let answer: string;
  if (invite.body.byteLength > 0) {
    const result = await call.answerOffer(offer);
    if ('status' in result) {
      ua.respond(invite, result.status, result.reason, {
        toTag: tag,
        headers: [['Warning', '305 roomkit "Incompatible media format"']],
      });
      call.finish('no_common_codec', 'local');
      return;
    }
    answer = result.sdp;
  } else {
    // An offerless INVITE: we offer in the 200 and take their answer from the ACK.
    answer = call.localSdp(offerCodecs(host.codecs));
  }
  if (host.ringMs > 0) await new Promise((r) => host.clock.setTimer(() => r(undefined), host.ringMs));
  if (pending.cancelled || call.state === 'ended') return;
  const headers: [string, string][] = [
    ['Contact', ua.contact(host.contactUser, source.transport)],
    ['Allow', ALLOW],
    ['Supported', 'timer'],
    ['Accept', 'application/sdp, application/dtmf-relay'],
  ];
  if (se) {
    const seconds = Math.min(se.seconds, host.sessionExpires);
    const refresher = se.refresher ?? 'uac';
    headers.push(['Session-Expires', `${seconds};refresher=${refresher}`], ['Require', 'timer']);
    call.sessionTimer = { expiresS: seconds, refresher, weRefresh: refresher === 'uas' };
  }
  ua.respond(invite, 200, 'OK', {
    toTag: tag,
    headers,
    body: answer,
    onAckTimeout: () => {
      host.logger.warn({ callId: info.callId }, 'no ACK for our 200 OK; hanging up');
      call.state = 'confirmed';
      void call.hangup('ack_timeout');
    },
  });
}

/** The ACK for our 200: the call is confirmed and its audio path is live. */
export async function confirmIncoming(call: SipCall, ack: SipRequest): Promise<void> {
  if (call.state !== 'early') return;
  if (ack.body.byteLength > 0 && !call.negotiated) {
    if (!(await call.applyAnswer(ack.body.toString('utf8')))) {
      call.state = 'confirmed';
      await call.hangup('bad_answer_in_ack');
      return;
    }
  }
  call.state = 'confirmed';
  const se = call.sessionTimer;
  if (se) call.armSessionTimer(se.expiresS, se.refresher, se.weRefresh);
  (call.host as CallSetupHost).ready(call);
}

function sessionExpiresOf(req: SipRequest): { seconds: number; refresher?: 'uac' | 'uas' } | undefined {
  const value = req.headers.get('Session-Expires');
  if (!value) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  const refresher = /refresher\s*=\s*(uac|uas)/i.exec(value)?.[1]?.toLowerCase() as 'uac' | 'uas' | undefined;
  return { seconds, refresher };
}

/** Whether an offer has an audio stream in a codec we speak (checked before ringing). */
function canAnswer(body: string, codecs: readonly string[]): boolean {
  const sdp = parseSdp(body);
  const audio = sdp && audioOf(sdp);
  return audio !== undefined && negotiate(audio.media, codecs) !== undefined;
}
