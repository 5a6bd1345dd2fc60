import { randomBytes } from 'node:crypto';
import type { PacerClock } from '../../voice/pacer.js';
import { SipHeaders } from './sip-headers.js';
import type { SipMessage, SipRequest, SipResponse } from './sip-message.js';
import type { SipTarget } from './sip-transport.js';
import { parseCSeq, parseVia } from './sip-uri.js';

/**
 * RFC 3261 section 17 transactions, the part of SIP that makes UDP reliable: client
 * transactions retransmit requests (timers A/E, doubling up to T2) until a response and
 * give up after 64*T1 (B/F); server transactions absorb retransmitted requests by resending
 * their last response, retransmit final INVITE responses until the ACK (G, and for 2xx the
 * RFC 6026 "accepted" state), and linger to soak up stragglers (D, H, I, J, K).
 * Over TCP nothing is retransmitted but the timeouts still hold.
 */
export interface TimerConfig {
  t1: number;
  t2: number;
  t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export type Sender = (message: SipMessage, target: SipTarget) => void;

export function newBranch(): string {
  return `z9hG4bK${randomBytes(10).toString('hex')}`;
}

function branchOf(m: SipMessage): string {
  return parseVia(m.headers.get('Via') ?? '')?.params.branch ?? '';
}

function methodOf(m: SipMessage): string {
  return parseCSeq(m.headers.get('CSeq') ?? '')?.method ?? '';
}

interface ClientTx {
  request: SipRequest;
  target: SipTarget;
  onResponse(res: SipResponse): void;
  onTimeout(): void;
  timers: unknown[];
  final: boolean;
  provisional: boolean;
  ack?: SipRequest;
}

interface ServerTx {
  request: SipRequest;
  source: SipTarget;
  last?: SipResponse;
  timers: unknown[];
  acked: boolean;
  onAckTimeout?(): void;
}

export class TransactionLayer {
  private readonly clients = new Map<string, ClientTx>();
  private readonly servers = new Map<string, ServerTx>();

  constructor(
    private readonly send: Sender,
    private readonly clock: PacerClock,
    private readonly t: TimerConfig = DEFAULT_TIMERS,
    private readonly maxTransactions = 20_000,
  ) {}

  get size(): number {
    return this.clients.size + this.servers.size;
  }

  get full(): boolean {
    return this.size >= this.maxTransactions;
  }

  // ---- client side -----------------------------------------------------------------------

  /** Sends a request reliably; `onResponse` sees provisional and final responses (final once). */
  request(
    request: SipRequest,
    target: SipTarget,
    onResponse: (res: SipResponse) => void,
    onTimeout: () => void,
  ): void {
    const key = `${branchOf(request)}|${request.method}`;
    const tx: ClientTx = {
      request,
      target,
      onResponse,
      onTimeout,
      timers: [],
      final: false,
      provisional: false,
    };
    this.clients.set(key, tx);
    this.send(request, target);
    const reliable = target.transport === 'TCP';
    const invite = request.method === 'INVITE';
    if (!reliable) this.retransmit(tx, this.t.t1, invite);
    tx.timers.push(
      this.clock.setTimer(() => {
        if (tx.final) return;
        this.endClient(key);
        onTimeout();
      }, 64 * this.t.t1),
    );
  }

  /** A response from the network; false when no transaction wants it (a stray or a 2xx retransmission). */
  receiveResponse(res: SipResponse): boolean {
    const key = `${branchOf(res)}|${methodOf(res)}`;
    const tx = this.clients.get(key);
    if (!tx) return false;
    if (tx.final) {
      // A retransmitted final response: repeat our ACK for non-2xx INVITE answers.
      if (tx.ack) this.send(tx.ack, tx.target);
      return true;
    }
    if (res.status < 200) {
      tx.provisional = true;
      tx.onResponse(res);
      return true;
    }
    tx.final = true;
    for (const t of tx.timers) this.clock.clearTimer(t);
    tx.timers = [];
    if (tx.request.method === 'INVITE' && res.status >= 300) {
      tx.ack = ackForFailure(tx.request, res);
      this.send(tx.ack, tx.target);
    }
    tx.onResponse(res);
    // Linger to absorb retransmissions (D for INVITE on UDP, K otherwise), then forget.
    const linger = tx.target.transport === 'TCP' ? 0 : tx.request.method === 'INVITE' ? 32_000 : this.t.t4;
    tx.timers.push(this.clock.setTimer(() => this.endClient(key), linger));
    return true;
  }

  /** Cancelled or torn down: stop retransmitting. */
  abandon(request: SipRequest): void {
    this.endClient(`${branchOf(request)}|${request.method}`);
  }

  private retransmit(tx: ClientTx, interval: number, invite: boolean): void {
    tx.timers.push(
      this.clock.setTimer(() => {
        if (tx.final) return;
        // An INVITE stops retransmitting at the first provisional response (timer A).
        if (invite && tx.provisional) return;
        this.send(tx.request, tx.target);
        const next = invite ? interval * 2 : tx.provisional ? this.t.t2 : Math.min(interval * 2, this.t.t2);
        this.retransmit(tx, next, invite);
      }, interval),
    );
  }

  private endClient(key: string): void {
    const tx = this.clients.get(key);
    if (!tx) return;
    for (const t of tx.timers) this.clock.clearTimer(t);
    this.clients.delete(key);
  }

  // ---- server side -----------------------------------------------------------------------

  /**
   * A request from the network. Returns 'new' for the TU to handle, 'retransmission' when it
   * was absorbed here, 'ack' for an ACK that ended a non-2xx INVITE transaction.
   */
  receiveRequest(req: SipRequest, source: SipTarget): 'new' | 'retransmission' | 'ack' {
    const branch = branchOf(req);
    if (req.method === 'ACK') {
      const tx = this.servers.get(`${branch}|INVITE`);
      if (tx?.last && tx.last.status >= 300) {
        tx.acked = true;
        this.lingerServer(`${branch}|INVITE`, tx, source.transport === 'TCP' ? 0 : this.t.t4);
        return 'ack';
      }
      return 'new';
    }
    const key = `${branch}|${req.method}`;
    const existing = this.servers.get(key);
    if (existing) {
      if (existing.last) this.send(existing.last, existing.source);
      return 'retransmission';
    }
    this.servers.set(key, { request: req, source, timers: [], acked: false });
    return 'new';
  }

  /** Sends a response through the request's server transaction (kept for retransmissions). */
  respond(req: SipRequest, res: SipResponse, onAckTimeout?: () => void): void {
    const key = `${branchOf(req)}|${req.method}`;
    const tx = this.servers.get(key);
    if (!tx) return;
    tx.last = res;
    this.send(res, tx.source);
    if (res.status < 200) return;
    const reliable = tx.source.transport === 'TCP';
    if (req.method !== 'INVITE') {
      this.lingerServer(key, tx, reliable ? 0 : 64 * this.t.t1);
      return;
    }
    // INVITE final: retransmit until ACK (G; RFC 6026 for 2xx), give up after 64*T1 (H).
    tx.onAckTimeout = onAckTimeout;
    if (!reliable) this.retransmitFinal(tx, this.t.t1);
    tx.timers.push(
      this.clock.setTimer(() => {
        const noAck = !tx.acked;
        this.endServer(key);
        if (noAck) tx.onAckTimeout?.();
      }, 64 * this.t.t1),
    );
  }

  /** The ACK for a 2xx arrived (matched by the dialog, it has its own branch). */
  acknowledge(invite: SipRequest): void {
    const key = `${branchOf(invite)}|INVITE`;
    const tx = this.servers.get(key);
    if (!tx) return;
    tx.acked = true;
    this.lingerServer(key, tx, 64 * this.t.t1);
  }

  /** The pending INVITE transaction a CANCEL names (same branch). */
  inviteFor(cancel: SipRequest): SipRequest | undefined {
    const tx = this.servers.get(`${branchOf(cancel)}|INVITE`);
    // Only a call still ringing can be cancelled; after a final response CANCEL does nothing.
    return tx && (tx.last?.status ?? 0) < 200 ? tx.request : undefined;
  }

  close(): void {
    for (const key of [...this.clients.keys()]) this.endClient(key);
    for (const key of [...this.servers.keys()]) this.endServer(key);
  }

  private retransmitFinal(tx: ServerTx, interval: number): void {
    tx.timers.push(
      this.clock.setTimer(() => {
        if (tx.acked || !tx.last) return;
        this.send(tx.last, tx.source);
        this.retransmitFinal(tx, Math.min(interval * 2, this.t.t2));
      }, interval),
    );
  }

  /** Keeps a finished transaction around to absorb retransmissions, then forgets it. */
  private lingerServer(key: string, tx: ServerTx, ms: number): void {
    for (const t of tx.timers) this.clock.clearTimer(t);
    tx.timers = [this.clock.setTimer(() => this.endServer(key), ms)];
  }

  private endServer(key: string): void {
    const tx = this.servers.get(key);
    if (!tx) return;
    for (const t of tx.timers) this.clock.clearTimer(t);
    this.servers.delete(key);
  }
}

/** The ACK a client INVITE transaction sends for a 3xx-6xx (same branch, the response's To). */
function ackForFailure(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = new SipHeaders();
  headers.add('Via', invite.headers.get('Via')!);
  for (const route of invite.headers.getAll('Route')) headers.add('Route', route);
  headers.add('Max-Forwards', '70');
  headers.add('From', invite.headers.get('From')!);
  headers.add('To', res.headers.get('To')!);
  headers.add('Call-ID', invite.headers.get('Call-ID')!);
  headers.add('CSeq', `${parseCSeq(invite.headers.get('CSeq')!)!.seq} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
