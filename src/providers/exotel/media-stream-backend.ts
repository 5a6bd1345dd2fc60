/**
 * Phone numbers on Exotel through the Voicebot applet. Either the applet's URL is our answer
 * endpoint (Exotel fetches it per call and we answer `{ "url": "wss://..." }` with a stream
 * URL of the call's own), or it is our stream URL itself (`<base>/stream`, one static URL:
 * the call is then routed by the start message's from/to). Both are Basic-authenticated,
 * the only credential Exotel sends. Audio is 16-bit PCM at 8 kHz (or 16 kHz), sent back in
 * 100 ms chunks of whole 320-byte blocks as Exotel asks; marks, clear and DTMF as the others.
 */
import type { IncomingMessage } from 'node:http';
import type { CallStatusUpdate, VerifiedWebhook } from '../shared/media-stream/carrier-webhooks.js';
import {
  MediaStreamBackend,
  type MediaStreamBackendOptions,
} from '../shared/media-stream/media-stream-backend.js';
import type { CarrierCallInfo, PendingCall } from '../shared/media-stream/pending-calls.js';
import { webhookFields } from '../shared/media-stream/webhook-fields.js';
import type { WireFormat } from '../shared/media-stream/wire-audio.js';
import { WebhookPayloadError, type WebhookRequest, type WebhookResponse } from '../shared/webhook-request.js';
import { ExotelCallControl } from './call-control.js';
import { exotelStreamProtocol } from './media-stream-protocol.js';
import { type ExotelCredentials, ExotelRestClient } from './rest-client.js';
import { checkExotelBasicAuth, checkExotelRequest, type ExotelStreamAuth } from './signature.js';

export interface ExotelMediaStreamBackendOptions extends MediaStreamBackendOptions, ExotelCredentials {
  /**
   * The Basic credentials Exotel must present (write them into the applet's URL,
   * `https://user:pass@host/...`). Default: `EXOTEL_STREAM_USERNAME`/`EXOTEL_STREAM_PASSWORD`,
   * else the API key and token, as Exotel's own examples do.
   */
  streamAuth?: ExotelStreamAuth;
  /** 8000 (default, PSTN) or 16000. */
  sampleRate?: 8000 | 16000;
  /** Custom parameters for every stream (at most 3, as the applet allows). */
  parameters?: Record<string, string>;
}

export class ExotelMediaStreamBackend extends MediaStreamBackend {
  readonly name = 'exotel';
  readonly control: ExotelCallControl;
  protected readonly protocol = exotelStreamProtocol;
  protected override readonly answerMethods = ['GET', 'POST'];
  protected override readonly acceptsUnannouncedStreams = true;
  private readonly auth: ExotelStreamAuth;
  private readonly rate: 8000 | 16000;
  private readonly extraParameters: Record<string, string>;

  constructor(options: ExotelMediaStreamBackendOptions = {}) {
    super('exotel', options);
    const client = new ExotelRestClient(options);
    this.control = new ExotelCallControl(client);
    this.auth = options.streamAuth ?? {
      username: process.env.EXOTEL_STREAM_USERNAME ?? client.apiKey,
      password: process.env.EXOTEL_STREAM_PASSWORD ?? client.secret,
    };
    this.rate = options.sampleRate ?? 8000;
    this.extraParameters = options.parameters ?? {};
  }

  async verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook> {
    checkExotelRequest(this.auth, req);
    const f = webhookFields(req, 'exotel');
    // Nothing is signed: what makes a copy detectable is the call it names (answered once)
    // or, for status callbacks, the call and status together.
    const callSid = f.CallSid ?? f.call_sid;
    if (!callSid) throw new WebhookPayloadError('exotel', 'request without CallSid');
    const status = f.Status ?? f.CallStatus ?? f.EventType;
    return { replayKey: `exotel:${callSid}:${status ?? 'answer'}`, timestamped: false };
  }

  incomingCall(req: WebhookRequest): CarrierCallInfo {
    const f = webhookFields(req, 'exotel');
    return {
      callId: f.CallSid!,
      from: f.CallFrom ?? f.From,
      to: f.CallTo ?? f.To,
      direction: f.Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
      parameters: f.CustomField ? { CustomField: f.CustomField } : {},
    };
  }

  /** The applet's dynamic URL: `{ "url": "wss://user:pass@host/<base>/stream/<id>/<token>?sample-rate=..." }`. */
  answerMarkup(pending: PendingCall): WebhookResponse {
    const url = new URL(pending.streamUrl);
    url.username = encodeURIComponent(this.auth.username);
    url.password = encodeURIComponent(this.auth.password);
    url.searchParams.set('sample-rate', String(this.rate));
    for (const [key, value] of Object.entries(this.extraParameters).slice(0, 3))
      url.searchParams.set(key, value);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: url.toString() }),
    };
  }

  /** No stream: the applet fails over to its next step (configure a hang-up or a human there). */
  rejectMarkup(): WebhookResponse {
    return { status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"call refused"}' };
  }

  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined {
    const f = webhookFields(req, 'exotel');
    const callId = f.CallSid ?? f.call_sid;
    const status = f.Status ?? f.CallStatus;
    return callId && status ? { callId, status } : undefined;
  }

  protected override async verifyUpgrade(
    req: IncomingMessage,
    _pending: PendingCall | undefined,
  ): Promise<void> {
    checkExotelBasicAuth(this.auth, req.headers.authorization);
  }

  protected wireFormat(): WireFormat {
    return { encoding: 'l16le', sampleRate: this.rate, frameMs: 100, chunkBytes: 320 };
  }

  protected defaultFromNumber(): string | undefined {
    return process.env.EXOTEL_PHONE_NUMBER ?? process.env.EXOTEL_CALLER_ID;
  }
}
