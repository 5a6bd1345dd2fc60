import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type PacerClock, systemClock } from '../../voice/pacer.js';
import { SipHeaders } from './sip-headers.js';
import {
  parseSipMessage,
  type SipMessage,
  type SipParseError,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from './sip-message.js';
import type { SipTarget, SipTransport } from './sip-transport.js';
import { formatVia, parseVia } from './sip-uri.js';
import { DEFAULT_TIMERS, newBranch, type TimerConfig, TransactionLayer } from './transactions.js';

/** Methods our UA understands (sent in Allow). */
export const ALLOWED_METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'INFO',
  'REFER',
  'NOTIFY',
  'UPDATE',
];

export interface SipTrace {
  direction: 'inbound' | 'outbound';
  message: SipMessage;
  raw: string;
  peer: SipTarget;
}

/** A new request (not a retransmission). Answer it with `ua.respond`. */
export type RequestHandler = (request: SipRequest, source: SipTarget) => void;

export interface SipUserAgentOptions {
  transports: SipTransport[];
  /** Host written in Via/Contact (the bound host unless it is 0.0.0.0). */
  advertisedHost: string;
  userAgent: string;
  clock?: PacerClock;
  timers?: Partial<TimerConfig>;
  logger: Logger;
  onRequest: RequestHandler;
  /** A response no transaction wanted (2xx retransmissions to our INVITEs go to the dialog). */
  onStrayResponse?(response: SipResponse, source: SipTarget): void;
  onTrace?(trace: SipTrace): void;
}

/**
 * The SIP core shared by calls and registration: transports in, parsed messages through the
 * transaction layer, new requests to the handler; requests and responses out with the right
 * Via. Malformed requests get a 400 (when they can be addressed) and a log line; nothing a
 * peer sends throws out of here.
 */
export class SipUserAgent {
  readonly transactions: TransactionLayer;
  private readonly byProtocol = new Map<'UDP' | 'TCP', SipTransport>();

  constructor(private readonly o: SipUserAgentOptions) {
    this.transactions = new TransactionLayer((m, t) => void this.transmit(m, t), o.clock ?? systemClock, {
      ...DEFAULT_TIMERS,
      ...o.timers,
    });
    for (const t of o.transports) {
      this.byProtocol.set(t.protocol, t);
      t.onMessage((data, source) => this.receive(data, source));
    }
  }

  transport(protocol: 'UDP' | 'TCP'): SipTransport | undefined {
    return this.byProtocol.get(protocol);
  }

  /** A Via for a new request over `protocol` (fresh branch, rport asked for). */
  via(protocol: 'UDP' | 'TCP', branch = newBranch()): string {
    const t = this.byProtocol.get(protocol) ?? this.o.transports[0];
    return formatVia({
      transport: t.protocol,
      host: this.o.advertisedHost,
      port: t.local.port,
      params: { branch, rport: null },
    });
  }

  /** Our Contact URI for a transport. */
  contact(user: string, protocol: 'UDP' | 'TCP'): string {
    const t = this.byProtocol.get(protocol) ?? this.o.transports[0];
    const transport = t.protocol === 'TCP' ? ';transport=tcp' : '';
    return `<sip:${user}@${hostText(this.o.advertisedHost)}:${t.local.port}${transport}>`;
  }

  /** Sends a request through a client transaction; resolves with the final response (408 on timeout). */
  request(
    req: SipRequest,
    target: SipTarget,
    onProvisional?: (res: SipResponse) => void,
  ): Promise<SipResponse> {
    if (!req.headers.has('User-Agent')) req.headers.set('User-Agent', this.o.userAgent);
    return new Promise((resolve) => {
      if (req.method === 'ACK') {
        void this.transmit(req, target);
        resolve(timeoutResponse(req));
        return;
      }
      this.transactions.request(
        req,
        target,
        (res) => (res.status < 200 ? onProvisional?.(res) : resolve(res)),
        () => resolve(timeoutResponse(req)),
      );
    });
  }

  /** Sends without a transaction (ACK for a 2xx, retransmitted by the dialog). */
  sendStateless(message: SipMessage, target: SipTarget): void {
    void this.transmit(message, target);
  }

  /** Answers a request through its server transaction. */
  respond(
    req: SipRequest,
    status: number,
    reason: string,
    opts: {
      headers?: [string, string][];
      body?: string;
      contentType?: string;
      toTag?: string;
      onAckTimeout?(): void;
    } = {},
  ): SipResponse {
    const res = buildResponse(req, status, reason, opts.toTag);
    res.headers.add('Server', this.o.userAgent);
    for (const [n, v] of opts.headers ?? []) res.headers.add(n, v);
    if (opts.body !== undefined) {
      res.headers.set('Content-Type', opts.contentType ?? 'application/sdp');
      res.body = Buffer.from(opts.body, 'utf8');
    }
    this.transactions.respond(req, res, opts.onAckTimeout);
    return res;
  }

  async close(): Promise<void> {
    this.transactions.close();
    await Promise.all(this.o.transports.map((t) => t.close()));
  }

  private async transmit(message: SipMessage, target: SipTarget): Promise<void> {
    const transport = this.byProtocol.get(target.transport);
    if (!transport) {
      this.o.logger.warn({ transport: target.transport }, 'no SIP transport for target');
      return;
    }
    const data = serializeSipMessage(message);
    this.o.onTrace?.({ direction: 'outbound', message, raw: data.toString('utf8'), peer: target });
    try {
      await transport.send(data, target);
    } catch (error) {
      this.o.logger.warn(
        { err: errorMessage(error), host: target.host, port: target.port },
        'SIP send failed',
      );
    }
  }

  private receive(data: Buffer, source: SipTarget): void {
    try {
      this.handle(data, source);
    } catch (error) {
      // A bug of ours on odd input must not take the UA down.
      this.o.logger.error(
        { err: errorMessage(error), from: `${source.host}:${source.port}` },
        'SIP message handling failed',
      );
    }
  }

  private handle(data: Buffer, source: SipTarget): void {
    if (data.byteLength <= 4 && data.toString().trim() === '') return; // keep-alive
    const parsed = parseSipMessage(data);
    if (!parsed.ok) {
      this.malformed(parsed.error, source, data);
      return;
    }
    const message = parsed.message;
    this.o.onTrace?.({ direction: 'inbound', message, raw: data.toString('utf8'), peer: source });
    if (message.kind === 'response') {
      if (!this.transactions.receiveResponse(message)) this.o.onStrayResponse?.(message, source);
      return;
    }
    if (source.transport === 'UDP') markReceived(message, source);
    if (this.transactions.full && message.method !== 'ACK') {
      this.stateless(message, 503, 'Service Unavailable', source, [['Retry-After', '5']]);
      return;
    }
    const verdict = this.transactions.receiveRequest(message, source);
    if (verdict === 'new') this.o.onRequest(message, source);
  }

  /** A 400 straight back, when the request carried enough to address one (RFC 3261 section 8.2). */
  private malformed(error: SipParseError, source: SipTarget, data: Buffer): void {
    this.o.logger.warn(
      { from: `${source.host}:${source.port}`, reason: error.message, bytes: data.byteLength },
      'malformed SIP message',
    );
    const h = error.headers;
    if (!error.isRequest || !h) return;
    const needed = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];
    if (!needed.every((n) => h.get(n)) || !parseVia(h.get('Via')!)) return;
    const fake: SipRequest = {
      kind: 'request',
      method: 'UNKNOWN',
      uri: '',
      headers: h,
      body: Buffer.alloc(0),
    };
    this.stateless(fake, 400, `Bad Request (${error.message.slice(0, 80)})`, source);
  }

  private stateless(
    req: SipRequest,
    status: number,
    reason: string,
    target: SipTarget,
    extra: [string, string][] = [],
  ): void {
    const res = buildResponse(req, status, reason);
    res.headers.add('Server', this.o.userAgent);
    for (const [n, v] of extra) res.headers.add(n, v);
    void this.transmit(res, target);
  }
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** RFC 3581 / 3261 18.2.1: note where a UDP request really came from in its top Via. */
function markReceived(req: SipRequest, source: SipTarget): void {
  const vias = req.headers.getAll('Via');
  const top = parseVia(vias[0]);
  if (!top) return;
  if (top.host !== source.host) top.params.received = source.host;
  if ('rport' in top.params) top.params.rport = String(source.port);
  req.headers.remove('Via');
  req.headers.add('Via', formatVia(top));
  for (const v of vias.slice(1)) req.headers.add('Via', v);
}

/** A response to `req`: its Via list, From, To (with our tag), Call-ID and CSeq. */
export function buildResponse(req: SipRequest, status: number, reason: string, toTag?: string): SipResponse {
  const headers = new SipHeaders();
  for (const v of req.headers.getAll('Via')) headers.add('Via', v);
  headers.add('From', req.headers.get('From') ?? '');
  let to = req.headers.get('To') ?? '';
  if (toTag && !/;\s*tag=/i.test(to)) to += `;tag=${toTag}`;
  headers.add('To', to);
  headers.add('Call-ID', req.headers.get('Call-ID') ?? '');
  headers.add('CSeq', req.headers.get('CSeq') ?? '');
  if (status > 100 && status < 300)
    for (const rr of req.headers.getAll('Record-Route')) headers.add('Record-Route', rr);
  return { kind: 'response', status, reason, headers, body: Buffer.alloc(0) };
}

function timeoutResponse(req: SipRequest): SipResponse {
  const res = buildResponse(req, 408, 'Request Timeout');
  res.headers.set('X-Roomkit-Local', 'timeout');
  return res;
}
