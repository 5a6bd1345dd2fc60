/**
 * Phone numbers on Vonage through Voice API WebSockets: the answer webhook (signed JWT)
 * answers with an NCCO that connects the call to its own WebSocket URL, Vonage opens it with
 * the same JWT in the handshake, and the call is a VoiceSession: L16 16 kHz (wideband) or
 * 8 kHz as binary 20 ms frames, each followed by a `notify` whose echo says it was played,
 * `clear` on barge-in, DTMF, hang-up/transfer/dial through the Voice API.
 */
import type { IncomingMessage } from 'node:http';
import type { CallStatusUpdate, VerifiedWebhook } from '../shared/media-stream/carrier-webhooks.js';
import {
  MediaStreamBackend,
  type MediaStreamBackendOptions,
} from '../shared/media-stream/media-stream-backend.js';
import type { CarrierCallInfo, PendingCall } from '../shared/media-stream/pending-calls.js';
import { webhookFields, withPlus } from '../shared/media-stream/webhook-fields.js';
import type { WireFormat } from '../shared/media-stream/wire-audio.js';
import {
  headerValue,
  WebhookPayloadError,
  type WebhookRequest,
  type WebhookResponse,
} from '../shared/webhook-request.js';
import { VonageCallControl } from './call-control.js';
import { vonageStreamProtocol } from './media-stream-protocol.js';
import { connectWebsocketNcco, rejectNcco } from './ncco.js';
import { type VonageCredentials, VonageRestClient } from './rest-client.js';
import { checkVonageVoiceRequest } from './signature.js';

export interface VonageMediaStreamBackendOptions extends MediaStreamBackendOptions, VonageCredentials {
  /** The secret Vonage signs webhooks and handshakes with (default `VONAGE_SIGNATURE_SECRET`). */
  signatureSecret?: string;
  /** 16000 (default: wideband, what speech recognition hears best) or 8000. */
  sampleRate?: 8000 | 16000;
  /** Extra headers for every stream (they arrive in the session's `metadata.parameters`). */
  parameters?: Record<string, string>;
}

const JSON_TYPE = { 'content-type': 'application/json' };

export class VonageMediaStreamBackend extends MediaStreamBackend {
  readonly name = 'vonage';
  readonly control: VonageCallControl;
  protected readonly protocol = vonageStreamProtocol;
  protected override readonly answerMethods = ['GET', 'POST'];
  private readonly signatureSecret?: string;
  private readonly rate: 8000 | 16000;
  private readonly extraParameters: Record<string, string>;

  constructor(options: VonageMediaStreamBackendOptions = {}) {
    super('vonage', options);
    this.signatureSecret = options.signatureSecret ?? process.env.VONAGE_SIGNATURE_SECRET;
    this.rate = options.sampleRate ?? 16000;
    this.extraParameters = options.parameters ?? {};
    this.control = new VonageCallControl(
      { contentType: `audio/l16;rate=${this.rate}` },
      new VonageRestClient(options),
    );
  }

  async verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook> {
    const key = await checkVonageVoiceRequest(
      this.signatureSecret,
      headerValue(req, 'authorization'),
      req.rawBody,
    );
    return { replayKey: key, timestamped: true };
  }

  incomingCall(req: WebhookRequest): CarrierCallInfo {
    const f = webhookFields(req, 'vonage');
    const callId = f.uuid;
    if (!callId) throw new WebhookPayloadError('vonage', 'answer webhook without uuid');
    return {
      callId,
      from: withPlus(f.from),
      to: withPlus(f.to),
      direction: 'inbound',
      parameters: f.conversation_uuid ? { conversation_uuid: f.conversation_uuid } : {},
    };
  }

  answerMarkup(pending: PendingCall): WebhookResponse {
    const { call } = pending;
    const headers: Record<string, string> = { ...this.extraParameters, callUuid: call.callId };
    if (call.from) headers.from = call.from;
    if (call.to) headers.to = call.to;
    const ncco = connectWebsocketNcco({
      url: pending.streamUrl,
      contentType: `audio/l16;rate=${this.rate}`,
      headers,
      eventUrl: pending.streamUrl.replace(/^ws/, 'http').replace(/\/stream\/.*$/, '/status'),
    });
    return { status: 200, headers: JSON_TYPE, body: JSON.stringify(ncco) };
  }

  rejectMarkup(): WebhookResponse {
    return { status: 200, headers: JSON_TYPE, body: JSON.stringify(rejectNcco()) };
  }

  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined {
    const f = webhookFields(req, 'vonage');
    return f.uuid && f.status ? { callId: f.uuid, status: f.status } : undefined;
  }

  /** The handshake carries Vonage's JWT (`authorization: { type: 'vonage' }`); its id is used once. */
  protected override async verifyUpgrade(
    req: IncomingMessage,
    _pending: PendingCall | undefined,
  ): Promise<void> {
    const key = await checkVonageVoiceRequest(
      this.signatureSecret,
      req.headers.authorization,
      Buffer.alloc(0),
    );
    this.replay.claim('vonage', key, true).commit();
  }

  protected wireFormat(): WireFormat {
    return { encoding: 'l16le', sampleRate: this.rate, frameMs: 20 };
  }

  protected defaultFromNumber(): string | undefined {
    return process.env.VONAGE_PHONE_NUMBER ?? process.env.VONAGE_FROM_NUMBER;
  }
}
