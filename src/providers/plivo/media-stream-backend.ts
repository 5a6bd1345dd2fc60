/**
 * Phone numbers on Plivo through Audio Streaming: the answer URL (signed V3) answers with a
 * bidirectional `<Stream>` to the call's own stream URL, and the call is a VoiceSession:
 * mu-law 8 kHz (or L16 16 kHz), 20 ms `playAudio` frames each followed by a `checkpoint`,
 * `clearAudio` on barge-in, DTMF, hang-up/transfer/dial through the REST API. The stream's
 * upgrade is checked with V3 too when Plivo signs it, and always by its one-time URL.
 */
import type { IncomingMessage } from 'node:http';
import type { WebhookEndpoint } from '../../channels/messaging/webhook-endpoint.js';
import { parseFormBody } from '../shared/form-body.js';
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
  queryParams,
  WebhookAuthError,
  WebhookPayloadError,
  type WebhookRequest,
  type WebhookResponse,
} from '../shared/webhook-request.js';
import { PlivoCallControl } from './call-control.js';
import { dialPlivoXml, hangupPlivoXml, streamPlivoXml } from './plivo-xml.js';
import { plivoStreamProtocol } from './media-stream-protocol.js';
import { type PlivoCredentials, PlivoRestClient } from './rest-client.js';
import { PLIVO_NONCE_HEADER, PLIVO_SIGNATURE_HEADER, verifyPlivoSignatureV3 } from './signature.js';

export interface PlivoMediaStreamBackendOptions extends MediaStreamBackendOptions, PlivoCredentials {
  /** mu-law 8 kHz (default) or L16 16 kHz. */
  codec?: 'mulaw' | 'l16';
  /** Extra headers for every stream (letters and digits only, as Plivo allows). */
  parameters?: Record<string, string>;
}

const XML = { 'content-type': 'application/xml' };

export class PlivoMediaStreamBackend extends MediaStreamBackend {
  readonly name = 'plivo';
  readonly control: PlivoCallControl;
  protected readonly protocol = plivoStreamProtocol;
  private readonly client: PlivoRestClient;
  private readonly codec: 'mulaw' | 'l16';
  private readonly extraParameters: Record<string, string>;

  constructor(options: PlivoMediaStreamBackendOptions = {}) {
    super('plivo', options);
    this.client = new PlivoRestClient(options);
    this.codec = options.codec ?? 'mulaw';
    this.extraParameters = options.parameters ?? {};
    this.control = new PlivoCallControl(
      {
        transferUrl: (target) =>
          `${this.httpOrigin()}${this.basePath}/transfer?to=${encodeURIComponent(target)}`,
      },
      this.client,
    );
  }

  override webhookEndpoints(): WebhookEndpoint[] {
    return [
      ...super.webhookEndpoints(),
      // Plivo fetches a transfer's new XML here (signed like any of its requests).
      { path: `${this.basePath}/transfer`, methods: ['POST', 'GET'], handle: (req) => this.transferXml(req) },
    ];
  }

  async verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook> {
    const signature = headerValue(req, PLIVO_SIGNATURE_HEADER);
    const nonce = headerValue(req, PLIVO_NONCE_HEADER);
    if (!signature || !nonce) throw new WebhookAuthError('plivo', 'missing_signature');
    const method = req.method === 'GET' ? 'GET' : 'POST';
    const params = method === 'POST' ? parseFormBody(req.rawBody, req.headers['content-type']).fields : {};
    if (
      !req.publicUrl ||
      !verifyPlivoSignatureV3(this.client.signingKey, signature, nonce, method, req.publicUrl, params)
    ) {
      throw new WebhookAuthError('plivo', 'bad_signature');
    }
    // The nonce is fresh for every request Plivo sends (its retries included): a copy repeats it.
    return { replayKey: `plivo:${nonce}`, timestamped: false };
  }

  incomingCall(req: WebhookRequest): CarrierCallInfo {
    const f = webhookFields(req, 'plivo');
    const callId = f.CallUUID;
    if (!callId) throw new WebhookPayloadError('plivo', 'answer request without CallUUID');
    return {
      callId,
      from: withPlus(f.From),
      to: withPlus(f.To),
      direction: f.Direction === 'outbound' ? 'outbound' : 'inbound',
      parameters: f.RequestUUID ? { RequestUUID: f.RequestUUID } : {},
    };
  }

  answerMarkup(pending: PendingCall): WebhookResponse {
    const format = this.wireFormat();
    const contentType =
      format.encoding === 'mulaw' ? 'audio/x-mulaw;rate=8000' : `audio/x-l16;rate=${format.sampleRate}`;
    return {
      status: 200,
      headers: XML,
      body: streamPlivoXml({ url: pending.streamUrl, contentType, extraHeaders: this.extraParameters }),
    };
  }

  rejectMarkup(): WebhookResponse {
    return { status: 200, headers: XML, body: hangupPlivoXml() };
  }

  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined {
    const f = webhookFields(req, 'plivo');
    const status = f.CallStatus;
    // A dial that never connected is known by its request id until Plivo names the call.
    const callId = f.RequestUUID && this.pending.byCarrierCallId(f.RequestUUID) ? f.RequestUUID : f.CallUUID;
    return callId && status ? { callId, status } : undefined;
  }

  /** Plivo's docs do not say the stream's handshake is signed: when it is, it must verify. */
  protected override async verifyUpgrade(
    req: IncomingMessage,
    pending: PendingCall | undefined,
  ): Promise<void> {
    const signature = req.headers[PLIVO_SIGNATURE_HEADER];
    if (signature === undefined || !pending) return;
    const nonce = req.headers[PLIVO_NONCE_HEADER];
    if (
      typeof signature !== 'string' ||
      typeof nonce !== 'string' ||
      !verifyPlivoSignatureV3(this.client.signingKey, signature, nonce, 'GET', pending.streamUrl)
    )
      throw new WebhookAuthError('plivo', 'bad_signature');
  }

  protected wireFormat(): WireFormat {
    return this.codec === 'l16'
      ? { encoding: 'l16le', sampleRate: 16000, frameMs: 20 }
      : { encoding: 'mulaw', sampleRate: 8000, frameMs: 20 };
  }

  protected defaultFromNumber(): string | undefined {
    return process.env.PLIVO_PHONE_NUMBER ?? process.env.PLIVO_FROM_NUMBER;
  }

  private async transferXml(req: WebhookRequest): Promise<WebhookResponse> {
    await this.verifyWebhook(req);
    const to = queryParams(req).get('to');
    if (!to) throw new WebhookPayloadError('plivo', 'transfer without a target');
    return { status: 200, headers: XML, body: dialPlivoXml(to) };
  }

  private httpOrigin(): string {
    return this.streamBase().replace(/^ws/, 'http').slice(0, -`${this.basePath}/stream`.length);
  }
}
