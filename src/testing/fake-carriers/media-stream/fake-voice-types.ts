import type { DispatchedWebhook } from '../fake-carrier-server.js';
import type { FakeStreamCall, FakeStreamCallOptions } from './fake-stream-call.js';

/** A REST call-control command our code sent to a fake carrier. */
export interface FakeCallCommand {
  action: 'dial' | 'hangup' | 'transfer';
  /** The carrier's call id (the new one for a dial). */
  callId: string;
  /** Who was dialled, or where the call was transferred. */
  target?: string;
  /** The request as the carrier saw it (form fields or JSON). */
  raw: unknown;
}

/** A webhook request as the carrier would send it, before it is sent (tests tamper with it). */
export interface FakeWebhookRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string;
  /** The call it announces. */
  callId: string;
  from: string;
  to: string;
}

/** An incoming call a fake placed: its answer webhook, and the stream it opened (if answered with one). */
export interface FakePlacedCall {
  webhook: DispatchedWebhook;
  callId: string;
  call?: FakeStreamCall;
}

/** What every fake carrier's voice side offers (the conformance suite drives them all alike). */
export interface FakeCarrierVoice {
  readonly commands: FakeCallCommand[];
  /** Streams of calls our code dialled, once the callee answered. */
  readonly dialled: FakeStreamCall[];
  streamOptions: FakeStreamCallOptions;
  /** The signed answer-webhook request of a new incoming call. */
  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest;
  /** Send the answer webhook and follow the markup to the stream (`call` undefined when refused). */
  placeCall(opts: { webhookUrl: string; from: string; to?: string }): Promise<FakePlacedCall>;
  /** The stream URL an answer names (throws when the answer opens no stream). */
  streamUrlOf(webhook: DispatchedWebhook): string;
  /** Open a stream to `url` as the carrier would (signed where it signs), for a call. */
  openStream(
    url: string,
    call: { callId: string; from: string; to: string; parameters?: Record<string, string> },
    headers?: Record<string, string>,
  ): import('./fake-stream-call.js').FakeStreamCall;
  /** The headers the carrier authenticates a stream upgrade with. */
  upgradeHeaders(url: string): Record<string, string>;
}
