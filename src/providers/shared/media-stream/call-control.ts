/**
 * Call control over a carrier's REST API, one shape for every carrier: place a call that
 * streams to us, hang one up, transfer one away. The media-stream backends use it for
 * `dial`, `disconnect` and `transfer`; it works on its own for calls the backend never saw.
 */
import { RoomKitError } from '../../../core/errors.js';

export interface DialRequest {
  /** The callee: E.164 number (or SIP URI where the carrier allows it). */
  to: string;
  /** Our number, shown as caller id. */
  from: string;
  /** The `wss://` URL the answered call must stream to (it carries the call's token). */
  streamUrl: string;
  /** Our answer webhook, for carriers that fetch markup when the callee answers (Plivo). */
  answerUrl: string;
  /** Where the carrier reports the call's progress (busy, no answer, completed). */
  statusUrl?: string;
  /** Custom parameters the stream's start message should carry. */
  parameters: Record<string, string>;
}

export interface CarrierCallControl {
  readonly carrier: string;
  /** Place a call; resolves with the carrier's id of it once the carrier accepted the request. */
  dial(request: DialRequest, signal?: AbortSignal): Promise<string>;
  /** End a call (both legs). */
  hangup(callId: string, signal?: AbortSignal): Promise<void>;
  /** Blind transfer to a number or SIP URI: the caller is connected there and our stream ends. */
  transfer(callId: string, target: string, signal?: AbortSignal): Promise<void>;
}

/** An outbound call did not connect (busy, no answer, rejected, or it never streamed). */
export class CallFailedError extends RoomKitError {
  constructor(
    readonly carrier: string,
    readonly status: string,
    detail?: string,
  ) {
    super(`${carrier} call failed: ${status}${detail ? ` (${detail})` : ''}`, {
      code: 'call_failed',
      retryable: status === 'busy' || status === 'no-answer',
    });
  }
}
