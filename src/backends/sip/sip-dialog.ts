import { randomBytes } from 'node:crypto';
import { SipHeaders } from './sip-headers.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipTarget } from './sip-transport.js';
import { formatUri, parseCSeq, parseNameAddr, parseUri, type SipUri } from './sip-uri.js';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newCallId(host: string): string {
  return `${randomBytes(12).toString('hex')}@${host}`;
}

/** The tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const tag = parseNameAddr(value)?.params.tag;
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * A dialog (RFC 3261 section 12): the peer-to-peer relationship an INVITE creates. Knows
 * its identifiers (Call-ID and both tags), the local and remote CSeq, the remote target
 * (Contact) and route set (Record-Route), and builds in-dialog requests from them.
 */
export class SipDialog {
  localSeq: number;
  remoteSeq: number;
  remoteTarget: SipUri;

  private constructor(
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From/To value (with our tag). */
    readonly localAddress: string,
    /** Their From/To value (with their tag). */
    readonly remoteAddress: string,
    remoteTarget: SipUri,
    readonly routeSet: string[],
    /** Where in-dialog requests go when there is no route set (and the connection to reuse). */
    public transportTarget: SipTarget,
    localSeq: number,
    remoteSeq: number,
  ) {
    this.remoteTarget = remoteTarget;
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
  }

  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** UAS: built from the INVITE we answer (route set = Record-Route as received). */
  static asUas(invite: SipRequest, localTag: string, source: SipTarget): SipDialog {
    const h = invite.headers;
    const contact = parseNameAddr(h.get('Contact') ?? '')?.uri ?? parseNameAddr(h.get('From')!)!.uri;
    const to = h.get('To')!;
    return new SipDialog(
      h.get('Call-ID')!,
      localTag,
      tagOf(h.get('From')) ?? '',
      tagOf(to) ? to : `${to};tag=${localTag}`,
      h.get('From')!,
      contact,
      h.getAll('Record-Route'),
      source,
      Math.floor(Math.random() * 10_000) + 1,
      parseCSeq(h.get('CSeq')!)!.seq,
    );
  }

  /** UAC: built from our INVITE and the 2xx that answered it (route set = Record-Route reversed). */
  static asUac(invite: SipRequest, response: SipResponse, target: SipTarget): SipDialog {
    const h = invite.headers;
    const contact = parseNameAddr(response.headers.get('Contact') ?? '')?.uri ?? parseUri(invite.uri)!;
    return new SipDialog(
      h.get('Call-ID')!,
      tagOf(h.get('From'))!,
      tagOf(response.headers.get('To')) ?? '',
      h.get('From')!,
      response.headers.get('To')!,
      contact,
      response.headers.getAll('Record-Route').reverse(),
      target,
      parseCSeq(h.get('CSeq')!)!.seq,
      0,
    );
  }

  /** A request inside the dialog; ACK and CANCEL reuse the INVITE's CSeq number. */
  createRequest(
    method: string,
    via: string,
    opts: { cseq?: number; headers?: [string, string][] } = {},
  ): SipRequest {
    const headers = new SipHeaders();
    headers.add('Via', via);
    // Loose routing (RFC 3261 section 12.2.1.1): the remote target stays the Request-URI.
    for (const route of this.routeSet) headers.add('Route', route);
    headers.add('Max-Forwards', '70');
    headers.add('From', this.localAddress);
    headers.add('To', this.remoteAddress);
    headers.add('Call-ID', this.callId);
    const seq = opts.cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.localSeq : ++this.localSeq);
    headers.add('CSeq', `${seq} ${method}`);
    for (const [n, v] of opts.headers ?? []) headers.add(n, v);
    return { kind: 'request', method, uri: formatUri(this.remoteTarget), headers, body: Buffer.alloc(0) };
  }

  /** Where in-dialog requests are sent: the first route's address, else the remote target's. */
  nextHop(): SipTarget {
    const first = this.routeSet[0];
    const uri = first ? parseNameAddr(first)?.uri : this.remoteTarget;
    const transport = (uri?.params.transport ?? this.transportTarget.transport).toString().toUpperCase();
    if (!uri?.host) return this.transportTarget;
    return {
      transport: transport === 'TCP' ? 'TCP' : 'UDP',
      host: uri.host,
      port: uri.port ?? 5060,
      connection: this.transportTarget.connection,
    };
  }

  /** Accepts a remote CSeq if it moves forward (RFC 3261 section 12.2.2); false means 500. */
  acceptRemoteSeq(cseq: number): boolean {
    if (cseq <= this.remoteSeq && this.remoteSeq !== 0) return false;
    this.remoteSeq = cseq;
    return true;
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}
