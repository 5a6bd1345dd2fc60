/**
 * The carrier's HTTP side of a media-stream call: the answer webhook (verify the signature,
 * refuse replays, route the call, answer with markup that opens a stream of its own) and the
 * status callback (a dial that was busy or unanswered fails at once). A refused request
 * answers 403 and leaves nothing behind: no pending call, no session, no room.
 */
import type { Logger } from '../../../core/logger.js';
import type { ReplayGuard } from '../webhook-signature.js';
import { queryParams, type WebhookRequest, type WebhookResponse } from '../webhook-request.js';
import { CallFailedError } from './call-control.js';
import type { CallRoute, CarrierCallInfo, PendingCall, PendingCalls } from './pending-calls.js';

/** What a verified request may be replayed as (the signature, a nonce, a JWT id...). */
export interface VerifiedWebhook {
  replayKey: string;
  /** The vendor signed a timestamp (replays are also bounded by time). */
  timestamped: boolean;
}

/** A status callback, normalised. */
export interface CallStatusUpdate {
  callId: string;
  /** The carrier's word, lower-case: ringing, in-progress, completed, busy, no-answer, failed, canceled... */
  status: string;
}

/** The carrier-specific half (each backend implements it). */
export interface CarrierWebhookHost {
  readonly name: string;
  readonly logger: Logger;
  readonly replay: ReplayGuard;
  readonly pending: PendingCalls;
  verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook>;
  incomingCall(req: WebhookRequest): CarrierCallInfo;
  routeCall(call: CarrierCallInfo): Promise<CallRoute | undefined>;
  /** `ws(s)://host<base>/stream` for this request. */
  streamBase(req: WebhookRequest): string;
  answerMarkup(pending: PendingCall): WebhookResponse;
  rejectMarkup(): WebhookResponse;
  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined;
  callStatus(update: CallStatusUpdate): void;
}

/** Statuses that end a call that never streamed. */
const FAILED = new Set([
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'cancelled',
  'rejected',
  'timeout',
  'unanswered',
]);

export async function handleAnswerWebhook(
  host: CarrierWebhookHost,
  req: WebhookRequest,
): Promise<WebhookResponse> {
  const verified = await host.verifyWebhook(req);
  const claim = host.replay.claim(host.name, verified.replayKey, verified.timestamped);
  try {
    // A call we dialled whose carrier fetches markup when it is answered (Plivo's answer_url).
    const dialId = queryParams(req).get('dial');
    if (dialId) {
      const dialled = host.pending.get(dialId);
      claim.commit();
      if (!dialled) return host.rejectMarkup();
      // The carrier names the answered call here for the first time (Plivo's CallUUID).
      const answered = host.incomingCall(req).callId;
      if (answered) dialled.call.callId = answered;
      return host.answerMarkup(dialled);
    }
    const call = host.incomingCall(req);
    const route = await host.routeCall(call);
    if (!route) {
      claim.commit();
      host.logger.info({ carrier: host.name, callId: call.callId }, 'incoming call refused by routeCall');
      return host.rejectMarkup();
    }
    const pending = host.pending.add(call, route, host.streamBase(req));
    claim.commit();
    host.logger.info(
      { carrier: host.name, callId: call.callId, roomId: route.roomId, stream: pending.id },
      'incoming call answered; waiting for its media stream',
    );
    return host.answerMarkup(pending);
  } catch (error) {
    claim.release();
    throw error;
  }
}

export async function handleStatusWebhook(
  host: CarrierWebhookHost,
  req: WebhookRequest,
): Promise<WebhookResponse> {
  const verified = await host.verifyWebhook(req);
  const claim = host.replay.claim(host.name, verified.replayKey, verified.timestamped);
  try {
    const update = host.parseStatus(req);
    if (update) {
      const status = update.status.toLowerCase();
      const waiting = host.pending.byCarrierCallId(update.callId);
      if (waiting && FAILED.has(status)) host.pending.forget(waiting, new CallFailedError(host.name, status));
      host.callStatus({ ...update, status });
    }
    claim.commit();
    return { status: 204 };
  } catch (error) {
    claim.release();
    throw error;
  }
}
