import type { SipHeaders } from './sip-headers.js';
import type { SipRequest } from './sip-message.js';
import type { SipTarget } from './sip-transport.js';
import { formatUri, parseNameAddr, parseUri } from './sip-uri.js';

/** One side of a call as the headers name it. */
export interface SipParty {
  /** The URI as written (sip:+15551234567@carrier.example). */
  uri: string;
  /** User part: the phone number or extension, when there is one. */
  user?: string;
  host: string;
  displayName?: string;
}

/** What an incoming INVITE says about the call, for routing and identity. */
export interface IncomingCallInfo {
  callId: string;
  from: SipParty;
  to: SipParty;
  /** P-Asserted-Identity (RFC 3325): the network-verified caller, when a trusted proxy set it. */
  assertedIdentity?: SipParty;
  requestUri: string;
  /** The caller as an identity resolver should see it: asserted identity, else From. */
  caller: string;
  /** The dialled number or name (Request-URI user, else To). */
  callee: string;
  headers: SipHeaders;
  source: SipTarget;
}

export function partyOf(value: string | undefined): SipParty | undefined {
  const addr = value ? parseNameAddr(value) : undefined;
  if (!addr) return undefined;
  return {
    uri: formatUri(addr.uri),
    user: addr.uri.user,
    host: addr.uri.host,
    displayName: addr.displayName,
  };
}

export function incomingCallInfo(invite: SipRequest, source: SipTarget): IncomingCallInfo {
  const h = invite.headers;
  const from = partyOf(h.get('From'))!;
  const to = partyOf(h.get('To'))!;
  // Several P-Asserted-Identity values may come (a sip: and a tel: one): prefer one with a user.
  const asserted = h
    .getAll('P-Asserted-Identity')
    .map(partyOf)
    .filter((p): p is SipParty => p !== undefined);
  const assertedIdentity = asserted.find((p) => p.user) ?? asserted[0];
  const requestUser = parseUri(invite.uri)?.user;
  return {
    callId: h.get('Call-ID')!,
    from,
    to,
    assertedIdentity,
    requestUri: invite.uri,
    caller: assertedIdentity?.user ?? from.user ?? from.host,
    callee: requestUser ?? to.user ?? to.host,
    headers: h,
    source,
  };
}

/** The session metadata of a call: what hooks and identity resolvers read. */
export function callMetadata(info: {
  callId: string;
  direction: 'inbound' | 'outbound';
  from: SipParty;
  to: SipParty;
  assertedIdentity?: SipParty;
  caller: string;
  callee: string;
}): Record<string, unknown> {
  return {
    sip: {
      callId: info.callId,
      direction: info.direction,
      from: info.from,
      to: info.to,
      ...(info.assertedIdentity ? { assertedIdentity: info.assertedIdentity } : {}),
    },
    caller: info.caller,
    callee: info.callee,
    // The identity hint the voice channel hands to the room's identity resolver.
    address: info.direction === 'inbound' ? info.caller : info.callee,
  };
}
