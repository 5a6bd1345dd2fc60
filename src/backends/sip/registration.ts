import { withDeadline } from '../../core/deadlines.js';
import { TimeoutError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PacerClock } from '../../voice/pacer.js';
import {
  type DigestChallenge,
  type DigestCredentials,
  digestAuthorization,
  parseChallenge,
} from './digest-auth.js';
import { newCallId, newTag } from './sip-dialog.js';
import { SipHeaders } from './sip-headers.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipUserAgent } from './sip-user-agent.js';
import { formatUri, parseNameAddr, parseUri } from './sip-uri.js';
import { targetOf } from './outgoing-call.js';

export interface RegistrationOptions {
  /** The registrar: `sip:pbx.example.com` or `sip:127.0.0.1:5070;transport=tcp`. */
  registrar: string;
  /** Address of record (default `sip:<username>@<registrar host>`). */
  aor?: string;
  username: string;
  password: string;
  /** Digest user when it differs from the AOR's user. */
  authUsername?: string;
  /** Seconds asked for (default 3600); the registrar may grant less. */
  expires?: number;
}

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

export interface RegistrationHost {
  ua: SipUserAgent;
  clock: PacerClock;
  logger: Logger;
  contactUser: string;
  onState?(state: RegistrationState, detail: { status?: number; expiresS?: number }): void;
}

const RETRY_MS = [2_000, 5_000, 15_000, 30_000, 60_000];
/** How long closing waits for the registrar: for a refresh in flight, then for the unregister. */
const STOP_WAIT_MS = 2_000;

/**
 * REGISTER client (RFC 3261 section 10): binds our Contact to the AOR, answers digest
 * challenges, honours 423 Min-Expires, and refreshes before the binding lapses (at 80% of
 * the granted time, at least 5 s early). Failures retry with backoff; `stop()` unregisters.
 */
export class Registration {
  state: RegistrationState = 'unregistered';
  /** Seconds the registrar granted in its last 200. */
  grantedS?: number;
  registeredAt?: number;
  readonly callId: string;
  private cseq = 0;
  private nc = 0;
  private timer: unknown;
  private failures = 0;
  private stopped = false;
  /** stop() has finished: an answer that comes after it (an exchange it gave up on) changes nothing. */
  private closed = false;
  private readonly fromTag = newTag();
  private expires: number;
  private lastChallenge?: { challenge: DigestChallenge; header: string };
  /** The REGISTER exchange under way, so `stop()` can wait for a refresh that is in flight. */
  private inflight?: Promise<void>;

  constructor(
    private readonly host: RegistrationHost,
    readonly options: RegistrationOptions,
  ) {
    this.expires = options.expires ?? 3600;
    this.callId = newCallId('roomkit');
  }

  private get registrarUri() {
    const uri = parseUri(this.options.registrar);
    if (!uri) throw new Error(`bad registrar URI ${this.options.registrar}`);
    return uri;
  }

  get aor(): string {
    return this.options.aor ?? `sip:${this.options.username}@${this.registrarUri.host}`;
  }

  /** Registers now; resolves with the outcome (also kept in `state`). */
  async start(): Promise<RegistrationState> {
    this.stopped = false;
    this.closed = false;
    await this.run(this.expires);
    return this.state;
  }

  /**
   * Unregisters (Expires: 0) and stops refreshing. A refresh in flight is waited for first:
   * its 200 renews the binding, so unregistering before it lands would leave the registrar
   * routing calls to an endpoint that has closed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.host.clock.clearTimer(this.timer);
    this.timer = undefined;
    // Each wait is bounded: a registrar that stopped answering would otherwise hold close()
    // for a whole transaction timeout (32 s); the binding then lapses at its expiry.
    if (this.inflight) await this.bounded(this.inflight, 'SIP registration refresh');
    if (this.state === 'registered') await this.bounded(this.run(0), 'SIP unregister');
    this.closed = true;
    this.setState('unregistered', {});
  }

  private bounded(work: Promise<void>, what: string): Promise<void> {
    return withDeadline(work, STOP_WAIT_MS, () => new TimeoutError(what, STOP_WAIT_MS)).catch((error) => {
      this.host.logger.warn(
        { registrar: this.options.registrar, err: (error as Error).message },
        'SIP registration not closed cleanly; the binding lapses at its expiry',
      );
    });
  }

  private run(expires: number): Promise<void> {
    const exchange = this.register(expires).finally(() => {
      if (this.inflight === exchange) this.inflight = undefined;
    });
    this.inflight = exchange;
    return exchange;
  }

  private async register(expires: number): Promise<void> {
    // A refresh keeps the state 'registered': the binding holds until it lapses.
    if (expires > 0 && this.state !== 'registered') this.setState('registering', {});
    const uri = this.registrarUri;
    const target = targetOf(uri, 'UDP');
    const creds: DigestCredentials = {
      username: this.options.authUsername ?? this.options.username,
      password: this.options.password,
    };
    const answer = (c: { challenge: DigestChallenge; header: string }): [string, string] => [
      c.header,
      digestAuthorization(c.challenge, creds, 'REGISTER', formatUri({ ...uri, params: {} }), ++this.nc),
    ];
    // Refreshes answer the last challenge up front (its nonce is usually still good), saving
    // a round trip; a stale or refused nonce just brings a fresh challenge.
    let res = await this.send(
      this.build(expires, target.transport, this.lastChallenge && answer(this.lastChallenge)),
    );
    for (let round = 0; round < 3 && res.status >= 300; round++) {
      if (res.status === 401 || res.status === 407) {
        const challenge = parseChallenge(
          res.headers.get(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate') ?? '',
        );
        if (!challenge) break;
        this.nc = 0;
        this.lastChallenge = {
          challenge,
          header: res.status === 401 ? 'Authorization' : 'Proxy-Authorization',
        };
        res = await this.send(this.build(expires, target.transport, answer(this.lastChallenge)));
      } else if (res.status === 423) {
        const min = Number.parseInt(res.headers.get('Min-Expires') ?? '', 10);
        if (!(min > 0)) break;
        this.expires = expires = min;
        res = await this.send(this.build(expires, target.transport));
      } else break;
    }
    if (expires === 0 || this.closed) return;
    if (res.status >= 200 && res.status < 300) {
      this.failures = 0;
      this.grantedS =
        grantedExpires(res, this.host.ua.contact(this.host.contactUser, target.transport)) ?? expires;
      this.registeredAt = this.host.clock.now();
      // Said once when it takes (refreshes are quiet): the account a PBX now routes here.
      if (this.state !== 'registered')
        this.host.logger.info(
          { registrar: this.options.registrar, aor: this.aor, expiresS: this.grantedS },
          'SIP registered',
        );
      this.setState('registered', { status: res.status, expiresS: this.grantedS });
      const refreshS = Math.max(1, this.grantedS - Math.max(5, this.grantedS * 0.2));
      this.schedule(Math.min(refreshS, this.grantedS * 0.9) * 1000);
    } else {
      this.host.logger.warn(
        { registrar: this.options.registrar, status: res.status, reason: res.reason },
        'SIP registration failed',
      );
      this.setState('failed', { status: res.status });
      this.schedule(RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.host.clock.clearTimer(this.timer);
    this.timer = this.host.clock.setTimer(() => {
      this.timer = undefined;
      void this.run(this.expires);
    }, ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private build(expires: number, transport: 'UDP' | 'TCP', auth?: [string, string]): SipRequest {
    const ua = this.host.ua;
    const headers = new SipHeaders();
    headers.add('Via', ua.via(transport));
    headers.add('Max-Forwards', '70');
    headers.add('From', `<${this.aor}>;tag=${this.fromTag}`);
    headers.add('To', `<${this.aor}>`);
    headers.add('Call-ID', this.callId);
    headers.add('CSeq', `${++this.cseq} REGISTER`);
    headers.add('Contact', ua.contact(this.host.contactUser, transport));
    headers.add('Expires', String(expires));
    if (auth) headers.add(auth[0], auth[1]);
    const uri = this.registrarUri;
    return {
      kind: 'request',
      method: 'REGISTER',
      uri: formatUri({ ...uri, user: undefined, params: {} }),
      headers,
      body: Buffer.alloc(0),
    };
  }

  private send(req: SipRequest): Promise<SipResponse> {
    return this.host.ua.request(req, targetOf(this.registrarUri, 'UDP'));
  }

  private setState(state: RegistrationState, detail: { status?: number; expiresS?: number }): void {
    this.state = state;
    this.host.onState?.(state, detail);
  }
}

/** The expiry the registrar granted our contact: its expires param, else the Expires header. */
function grantedExpires(res: SipResponse, ourContact: string): number | undefined {
  const ours = parseNameAddr(ourContact)?.uri;
  for (const c of res.headers.getAll('Contact')) {
    const addr = parseNameAddr(c);
    if (!addr || !ours) continue;
    if (addr.uri.host === ours.host && addr.uri.port === ours.port && addr.params.expires) {
      return Number(addr.params.expires);
    }
  }
  const header = Number.parseInt(res.headers.get('Expires') ?? '', 10);
  return Number.isFinite(header) ? header : undefined;
}
