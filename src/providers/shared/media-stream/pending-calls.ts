/**
 * Calls we answered (or dialled) whose media stream has not connected yet. Each gets a stream
 * URL of its own, `<base>/stream/<id>/<token>`, written into the markup of a verified webhook
 * (or our own REST dial): the WebSocket upgrade must present that URL, once, before it
 * expires. Carriers that sign the upgrade (Twilio, Vonage) are checked on top of it; for the
 * others this is what makes an unannounced or replayed stream refusable.
 */
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../webhook-signature.js';

/** Where a call goes: the room, and who the caller is there. */
export interface CallRoute {
  roomId: string;
  /** Default: the caller's number. */
  participantId?: string;
  /** Extra session metadata. */
  metadata?: Record<string, unknown>;
}

/** What a verified webhook (or our dial) says about a call. */
export interface CarrierCallInfo {
  /** The carrier's id of the call (CallSid, call_control_id, CallUUID, uuid). */
  callId: string;
  from?: string;
  to?: string;
  direction: 'inbound' | 'outbound';
  /** Custom parameters for the stream, and other webhook fields worth keeping. */
  parameters: Record<string, string>;
}

export interface PendingCall {
  id: string;
  call: CarrierCallInfo;
  route: CallRoute;
  /** The exact URL the carrier was told to open (signed-upgrade carriers sign it). */
  streamUrl: string;
  expiresAt: number;
  /** An outbound dial waiting for the callee to answer. */
  dial?: { resolve(sessionId: string): void; reject(error: Error): void };
  token: string;
}

export interface PendingCallsOptions {
  /** How long an answered call may take to open its stream (default 60 s). */
  ttlMs?: number;
  /** Bound on calls waiting at once (default 10,000); the oldest are forgotten. */
  max?: number;
  now?: () => number;
}

export class PendingCalls {
  private readonly calls = new Map<string, PendingCall>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: PendingCallsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    this.expire();
    return this.calls.size;
  }

  /** Register a call; its stream URL is `<streamBase>/<id>/<token>`. */
  add(call: CarrierCallInfo, route: CallRoute, streamBase: string, ttlMs = this.ttlMs): PendingCall {
    this.expire();
    const id = randomBytes(12).toString('base64url');
    const token = randomBytes(24).toString('base64url');
    const pending: PendingCall = {
      id,
      call,
      route,
      token,
      streamUrl: `${streamBase.replace(/\/+$/, '')}/${id}/${token}`,
      expiresAt: this.now() + ttlMs,
    };
    this.calls.set(id, pending);
    while (this.calls.size > this.max) {
      const oldest = this.calls.values().next().value as PendingCall;
      this.forget(oldest, new Error('too many calls waiting for their media stream'));
    }
    return pending;
  }

  /** The call a stream path names, when its token matches (not consumed). */
  find(id: string, token: string): PendingCall | undefined {
    this.expire();
    const pending = this.calls.get(id);
    return pending && safeEqual(pending.token, token) ? pending : undefined;
  }

  /** Consume a call: its stream URL works once. */
  take(pending: PendingCall): boolean {
    return this.calls.delete(pending.id);
  }

  /** A call by our id (a dial whose carrier fetches markup names it in the answer URL). */
  get(id: string): PendingCall | undefined {
    this.expire();
    return this.calls.get(id);
  }

  byCarrierCallId(callId: string): PendingCall | undefined {
    for (const pending of this.calls.values()) if (pending.call.callId === callId) return pending;
    return undefined;
  }

  /** Give up on a call (an outbound dial that failed, a shutdown). */
  forget(pending: PendingCall, reason?: Error): void {
    if (!this.calls.delete(pending.id)) return;
    if (reason) pending.dial?.reject(reason);
  }

  clear(reason: Error): void {
    for (const pending of [...this.calls.values()]) this.forget(pending, reason);
  }

  private expire(): void {
    const now = this.now();
    for (const pending of [...this.calls.values()]) {
      if (pending.expiresAt <= now) this.forget(pending, new Error('the call never opened its media stream'));
    }
  }
}
