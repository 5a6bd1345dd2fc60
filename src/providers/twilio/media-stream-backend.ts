/**
 * Phone numbers on Twilio through Media Streams: the voice webhook answers with
 * `<Connect><Stream>` to a stream URL of the call's own, Twilio opens that WebSocket (signed
 * with `X-Twilio-Signature` over the `wss://` URL), and the call is a VoiceSession any
 * VoiceChannel or RealtimeVoiceChannel picks up: mu-law 8 kHz both ways, paced at 20 ms, a mark
 * per frame, `clear` on barge-in, DTMF, hang-up/transfer/dial through the REST API.
 */
import type { IncomingMessage } from 'node:http';
import { parseFormBody, type FormFields, field } from '../shared/form-body.js';
import type { CarrierCallInfo, PendingCall } from '../shared/media-stream/pending-calls.js';
import type { CallStatusUpdate, VerifiedWebhook } from '../shared/media-stream/carrier-webhooks.js';
import {
  MediaStreamBackend,
  type MediaStreamBackendOptions,
} from '../shared/media-stream/media-stream-backend.js';
import type { WireFormat } from '../shared/media-stream/wire-audio.js';
import {
  headerValue,
  WebhookAuthError,
  WebhookPayloadError,
  type WebhookRequest,
  type WebhookResponse,
} from '../shared/webhook-request.js';
import { TwilioCallControl } from './call-control.js';
import { twilioStreamProtocol } from './media-stream-protocol.js';
import { type TwilioCredentials, TwilioRestClient } from './rest-client.js';
import { TWILIO_SIGNATURE_HEADER, verifyTwilioSignature } from './signature.js';
import { connectStreamTwiml, rejectTwiml } from './twiml.js';

export interface TwilioMediaStreamBackendOptions extends MediaStreamBackendOptions, TwilioCredentials {
  /** Extra `<Parameter>`s for every stream (they arrive in the session's `metadata.parameters`). */
  parameters?: Record<string, string>;
}

const TWIML = { 'content-type': 'text/xml' };

export class TwilioMediaStreamBackend extends MediaStreamBackend {
  readonly name = 'twilio';
  readonly control: TwilioCallControl;
  protected readonly protocol = twilioStreamProtocol;
  private readonly client: TwilioRestClient;
  private readonly extraParameters: Record<string, string>;

  constructor(options: TwilioMediaStreamBackendOptions = {}) {
    super('twilio', options);
    this.client = new TwilioRestClient(options);
    this.control = new TwilioCallControl(this.client);
    this.extraParameters = options.parameters ?? {};
  }

  async verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook> {
    const signature = headerValue(req, TWILIO_SIGNATURE_HEADER);
    if (!signature) throw new WebhookAuthError('twilio', 'missing_signature');
    const fields = req.method === 'POST' ? formOf(req) : {};
    if (!req.publicUrl || !verifyTwilioSignature(this.client.signingKey, signature, req.publicUrl, fields)) {
      throw new WebhookAuthError('twilio', 'bad_signature');
    }
    // Twilio signs no timestamp: a copy of a request carries the same signature.
    return { replayKey: `twilio:${signature}`, timestamped: false };
  }

  incomingCall(req: WebhookRequest): CarrierCallInfo {
    const fields = formOf(req);
    const callId = field(fields, 'CallSid');
    if (!callId) throw new WebhookPayloadError('twilio', 'voice webhook without CallSid');
    const parameters: Record<string, string> = {};
    for (const name of [
      'AccountSid',
      'CallerName',
      'FromCity',
      'FromState',
      'FromCountry',
      'ForwardedFrom',
    ]) {
      const value = field(fields, name);
      if (value) parameters[name] = value;
    }
    return {
      callId,
      from: field(fields, 'From'),
      to: field(fields, 'To'),
      direction: field(fields, 'Direction')?.startsWith('outbound') ? 'outbound' : 'inbound',
      parameters,
    };
  }

  answerMarkup(pending: PendingCall): WebhookResponse {
    const { call } = pending;
    const parameters: Record<string, string> = { ...this.extraParameters, callSid: call.callId };
    if (call.from) parameters.from = call.from;
    if (call.to) parameters.to = call.to;
    return { status: 200, headers: TWIML, body: connectStreamTwiml({ url: pending.streamUrl, parameters }) };
  }

  rejectMarkup(): WebhookResponse {
    return { status: 200, headers: TWIML, body: rejectTwiml() };
  }

  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined {
    const fields = formOf(req);
    const callId = field(fields, 'CallSid');
    const status = field(fields, 'CallStatus');
    return callId && status ? { callId, status } : undefined;
  }

  /** Twilio signs the upgrade too: `X-Twilio-Signature` over the exact `wss://` URL we gave it. */
  protected override async verifyUpgrade(
    req: IncomingMessage,
    pending: PendingCall | undefined,
  ): Promise<void> {
    const signature = req.headers[TWILIO_SIGNATURE_HEADER];
    if (typeof signature !== 'string' || !signature)
      throw new WebhookAuthError('twilio', 'missing_signature');
    if (!pending || !verifyTwilioSignature(this.client.signingKey, signature, pending.streamUrl)) {
      throw new WebhookAuthError('twilio', 'bad_signature');
    }
  }

  protected wireFormat(): WireFormat {
    return { encoding: 'mulaw', sampleRate: 8000, frameMs: 20 };
  }

  protected defaultFromNumber(): string | undefined {
    return process.env.TWILIO_PHONE_NUMBER ?? process.env.TWILIO_FROM_NUMBER;
  }
}

function formOf(req: WebhookRequest): FormFields {
  if (req.method !== 'POST') return Object.fromEntries(new URL(req.url, 'http://x').searchParams);
  return parseFormBody(req.rawBody, req.headers['content-type']).fields;
}
