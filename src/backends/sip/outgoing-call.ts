import { SipHeaders } from './sip-headers.js';
import { callMetadata, partyOf } from './call-info.js';
import { type DigestCredentials, digestAuthorization, parseChallenge } from './digest-auth.js';
import type { CallSetupHost } from './incoming-call.js';
import { offerCodecs } from './sdp.js';
import { ALLOW, SipCall, SipCallError } from './sip-call.js';
import { newCallId, newTag, SipDialog } from './sip-dialog.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipTarget } from './sip-transport.js';
import { formatUri, parseUri, type SipUri } from './sip-uri.js';

export interface DialOptions {
  roomId: string;
  /** Who the called party is in the room (default: the number or user dialled). */
  participantId?: string;
  /** Our identity in From (default: the backend's `from`). */
  from?: string;
  /** Extra headers on the INVITE (e.g. X-Campaign). */
  headers?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** Give up if nobody answers (default 60 s): CANCEL, then a SipCallError 408. */
  ringTimeoutMs?: number;
  /** Credentials for a proxy that challenges the INVITE (default: the registrar's). */
  credentials?: DigestCredentials;
  /** Send the INVITE to this proxy instead of the URI's host (outbound proxy). */
  proxy?: SipTarget;
}

export interface OutgoingHost extends CallSetupHost {
  fromUri: string;
  defaultCredentials?: DigestCredentials;
  defaultProtocol: 'UDP' | 'TCP';
}

/** Resolves where a SIP URI's requests go (no DNS SRV: host and port as written). */
export function targetOf(uri: SipUri, fallback: 'UDP' | 'TCP'): SipTarget {
  const t = String(uri.params.transport ?? fallback).toUpperCase();
  return { transport: t === 'TCP' ? 'TCP' : 'UDP', host: uri.host, port: uri.port ?? 5060 };
}

/**
 * Places a call as a UAC: INVITE with our offer, digest authentication if a proxy asks,
 * CANCEL on ring timeout, ACK for the 2xx, answer applied. Resolves with the established
 * call (the session is ready for the channels); rejects with a SipCallError naming the
 * status when the call fails.
 */
export async function dialOut(host: OutgoingHost, to: string, opts: DialOptions): Promise<SipCall> {
  const uri = parseUri(to);
  if (!uri || uri.scheme === 'tel') throw new SipCallError(`not a SIP URI: ${to}`);
  const target = opts.proxy ?? targetOf(uri, host.defaultProtocol);
  const ua = host.ua;
  const fromTag = newTag();
  const from = `${opts.from ?? host.fromUri};tag=${fromTag}`;
  const callId = newCallId(ua.transport(target.transport)?.local.host ?? 'roomkit');
  const toParty = partyOf(`<${formatUri(uri)}>`)!;
  const fromParty = partyOf(from)!;
  const callee = toParty.user ?? toParty.host;
  const metadata = {
    ...callMetadata({
      callId,
      direction: 'outbound',
      from: fromParty,
      to: toParty,
      caller: fromParty.user ?? fromParty.host,
      callee,
    }),
    ...opts.metadata,
  };
  const session = host.newCallSession(opts.roomId, opts.participantId ?? callee, metadata);
  const media = await host.openMedia(session, target.transport);
  const call = new SipCall(host, session, 'outbound', media, target.transport);
  const offer = call.localSdp(offerCodecs(host.codecs));
  let cseq = 1;
  const build = (auth?: [string, string]): SipRequest => {
    const headers = new SipHeaders();
    headers.add('Via', ua.via(target.transport));
    headers.add('Max-Forwards', '70');
    headers.add('From', from);
    headers.add('To', `<${formatUri(uri)}>`);
    headers.add('Call-ID', callId);
    headers.add('CSeq', `${cseq} INVITE`);
    headers.add('Contact', ua.contact(host.contactUser, target.transport));
    headers.add('Allow', ALLOW);
    headers.add('Supported', 'timer');
    headers.add('Session-Expires', `${host.sessionExpires};refresher=uac`);
    headers.add('Min-SE', String(host.minSessionExpires));
    for (const [n, v] of Object.entries(opts.headers ?? {})) headers.add(n, v);
    if (auth) headers.add(auth[0], auth[1]);
    headers.add('Content-Type', 'application/sdp');
    return { kind: 'request', method: 'INVITE', uri: formatUri(uri), headers, body: Buffer.from(offer) };
  };
  let invite = build();
  const creds = opts.credentials ?? host.defaultCredentials;
  let res = await ringUntilFinal(host, call, invite, target, opts.ringTimeoutMs ?? 60_000);
  if ((res.status === 401 || res.status === 407) && creds) {
    const header = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const challenge = parseChallenge(res.headers.get(header) ?? '');
    if (challenge) {
      cseq++;
      const answer = digestAuthorization(challenge, creds, 'INVITE', formatUri(uri));
      invite = build([res.status === 401 ? 'Authorization' : 'Proxy-Authorization', answer]);
      res = await ringUntilFinal(host, call, invite, target, opts.ringTimeoutMs ?? 60_000);
    }
  }
  if (res.status < 200 || res.status >= 300) {
    call.finish(`failed_${res.status}`, 'remote');
    throw new SipCallError(`call to ${to} failed: ${res.status} ${res.reason}`, res.status);
  }
  const dialog = SipDialog.asUac(invite, res, target);
  call.dialog = dialog;
  host.adopt(call);
  const ack = dialog.createRequest('ACK', ua.via(target.transport), { cseq });
  call.lastAck = ack;
  ua.sendStateless(ack, dialog.nextHop());
  if (!(await call.applyAnswer(res.body.toString('utf8')))) {
    call.state = 'confirmed';
    await call.hangup('no_common_codec');
    throw new SipCallError(`call to ${to} answered without a usable codec`, 488);
  }
  call.state = 'confirmed';
  const se = res.headers.get('Session-Expires');
  if (se) {
    const seconds = Number.parseInt(se, 10) || host.sessionExpires;
    const refresher = (/refresher\s*=\s*(uac|uas)/i.exec(se)?.[1]?.toLowerCase() ?? 'uac') as 'uac' | 'uas';
    call.armSessionTimer(seconds, refresher, refresher === 'uac');
  }
  host.event(call, { type: 'answered' });
  host.ready(call);
  return call;
}

/** Sends the INVITE and waits for a final response; CANCELs it when the ring timeout passes. */
async function ringUntilFinal(
  host: OutgoingHost,
  call: SipCall,
  invite: SipRequest,
  target: SipTarget,
  ringTimeoutMs: number,
): Promise<SipResponse> {
  const ua = host.ua;
  let ringing = false;
  const timer = host.clock.setTimer(() => {
    // RFC 3261 9.1: CANCEL only once a provisional response arrived; else the timer B decides.
    if (!ringing) return;
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: invite.uri,
      headers: new SipHeaders([
        ['Via', invite.headers.get('Via')!],
        ['Max-Forwards', '70'],
        ['From', invite.headers.get('From')!],
        ['To', invite.headers.get('To')!],
        ['Call-ID', invite.headers.get('Call-ID')!],
        ['CSeq', `${invite.headers.get('CSeq')!.split(/\s+/)[0]} CANCEL`],
      ]),
      body: Buffer.alloc(0),
    };
    void ua.request(cancel, target);
  }, ringTimeoutMs);
  try {
    let announced = false;
    return await ua.request(invite, target, (provisional) => {
      ringing = true;
      if (provisional.status >= 180 && !announced) {
        announced = true;
        host.event(call, { type: 'ringing' });
      }
    });
  } finally {
    host.clock.clearTimer(timer);
  }
}
