/**
 * Phone numbers on Telnyx through media streaming: the TeXML webhook (signed with Ed25519)
 * answers with `<Connect><Stream>` in bidirectional RTP mode, Telnyx opens the call's own
 * stream URL, and the call is a VoiceSession: PCMU 8 kHz (or L16 16 kHz), 20 ms frames with
 * marks, `clear` on barge-in, DTMF, hang-up/transfer/dial through the Call Control API.
 * Telnyx does not sign the WebSocket upgrade: the one-time stream URL is its credential.
 */
import type { KeyObject } from 'node:crypto';
import type { CallStatusUpdate, VerifiedWebhook } from '../shared/media-stream/carrier-webhooks.js';
import {
  MediaStreamBackend,
  type MediaStreamBackendOptions,
} from '../shared/media-stream/media-stream-backend.js';
import type { CarrierCallInfo, PendingCall } from '../shared/media-stream/pending-calls.js';
import { webhookFields } from '../shared/media-stream/webhook-fields.js';
import type { WireFormat } from '../shared/media-stream/wire-audio.js';
import { WebhookPayloadError, type WebhookRequest, type WebhookResponse } from '../shared/webhook-request.js';
import { TelnyxCallControl, type TelnyxCallControlOptions } from './call-control.js';
import { telnyxStreamProtocol } from './media-stream-protocol.js';
import { TelnyxRestClient } from './rest-client.js';
import { checkTelnyxRequest, telnyxPublicKey } from './signature.js';
import { connectStreamTexml, rejectTexml } from './texml.js';

export interface TelnyxMediaStreamBackendOptions extends MediaStreamBackendOptions, TelnyxCallControlOptions {
  /** Base64 Ed25519 public key webhooks are verified with (default `TELNYX_PUBLIC_KEY`). */
  publicKey?: string;
  /** PCMU at 8 kHz (default), or L16 at 16 kHz (wideband, when the call's codec allows). */
  codec?: 'PCMU' | 'L16';
  /** Extra `<Parameter>`s for every stream. */
  parameters?: Record<string, string>;
}

const XML = { 'content-type': 'text/xml' };

export class TelnyxMediaStreamBackend extends MediaStreamBackend {
  readonly name = 'telnyx';
  readonly control: TelnyxCallControl;
  protected readonly protocol = telnyxStreamProtocol;
  private readonly publicKey?: KeyObject;
  private readonly codec: 'PCMU' | 'L16';
  private readonly extraParameters: Record<string, string>;

  constructor(options: TelnyxMediaStreamBackendOptions = {}) {
    super('telnyx', options);
    const key = options.publicKey ?? process.env.TELNYX_PUBLIC_KEY;
    this.publicKey = key ? telnyxPublicKey(key) : undefined;
    this.codec = options.codec ?? 'PCMU';
    const sampleRate = this.codec === 'L16' ? 16000 : 8000;
    this.control = new TelnyxCallControl(
      { ...options, codec: this.codec, sampleRate },
      new TelnyxRestClient(options),
    );
    this.extraParameters = options.parameters ?? {};
  }

  async verifyWebhook(req: WebhookRequest): Promise<VerifiedWebhook> {
    return { replayKey: checkTelnyxRequest(this.publicKey, req), timestamped: true };
  }

  incomingCall(req: WebhookRequest): CarrierCallInfo {
    const f = webhookFields(req, 'telnyx');
    const callId = f.CallSid ?? f.CallControlId;
    if (!callId) throw new WebhookPayloadError('telnyx', 'TeXML webhook without CallSid');
    return {
      callId,
      from: f.From,
      to: f.To,
      direction: f.Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
      parameters: f.AccountSid ? { AccountSid: f.AccountSid } : {},
    };
  }

  answerMarkup(pending: PendingCall): WebhookResponse {
    const parameters: Record<string, string> = { ...this.extraParameters, callSid: pending.call.callId };
    return {
      status: 200,
      headers: XML,
      body: connectStreamTexml({
        url: pending.streamUrl,
        codec: this.codec,
        sampleRate: this.wireFormat().sampleRate,
        parameters,
      }),
    };
  }

  rejectMarkup(): WebhookResponse {
    return { status: 200, headers: XML, body: rejectTexml() };
  }

  /** TeXML status callbacks (CallStatus) and Call Control events (`call.hangup` with its cause). */
  parseStatus(req: WebhookRequest): CallStatusUpdate | undefined {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.includes('json')) {
      const body = JSON.parse(req.rawBody.toString('utf8')) as {
        data?: { event_type?: string; payload?: Record<string, unknown> };
      };
      const payload = body.data?.payload ?? {};
      const callId = typeof payload.call_control_id === 'string' ? payload.call_control_id : undefined;
      if (!callId || !body.data?.event_type) return undefined;
      if (body.data.event_type !== 'call.hangup') return { callId, status: body.data.event_type };
      const cause = String(payload.hangup_cause ?? 'normal_clearing');
      return { callId, status: cause === 'normal_clearing' ? 'completed' : cause.replace(/_/g, '-') };
    }
    const f = webhookFields(req, 'telnyx');
    return f.CallSid && f.CallStatus ? { callId: f.CallSid, status: f.CallStatus } : undefined;
  }

  protected wireFormat(): WireFormat {
    return this.codec === 'L16'
      ? { encoding: 'l16be', sampleRate: 16000, frameMs: 20 }
      : { encoding: 'mulaw', sampleRate: 8000, frameMs: 20 };
  }

  protected defaultFromNumber(): string | undefined {
    return process.env.TELNYX_PHONE_NUMBER ?? process.env.TELNYX_FROM_NUMBER;
  }
}
