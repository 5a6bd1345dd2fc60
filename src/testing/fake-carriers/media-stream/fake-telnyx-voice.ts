/**
 * The voice half of FakeTelnyxServer: places calls through a TeXML application (form-encoded
 * webhook signed with Ed25519), follows `<Connect><Stream>` to our WebSocket, plays Telnyx's
 * media-streaming protocol (PCMU, or L16 in network byte order), and serves the Call Control
 * API: `POST /v2/calls` and `POST /v2/calls/{id}/actions/{hangup,transfer}`.
 */
import { randomUUID } from 'node:crypto';
import { encodeForm } from '../../../providers/shared/form-body.js';
import { fromBase64, toBase64 } from '../../../providers/shared/media-stream/wire-audio.js';
import type { DispatchedWebhook, FakeCarrierReply, FakeRequest } from '../fake-carrier-server.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import { FakeVoiceBase } from './fake-voice-base.js';
import type { FakeWebhookRequest } from './fake-voice-types.js';
import { streamOfXml } from './markup.js';

export function telnyxDialect(codec: 'PCMU' | 'L16' = 'PCMU'): FakeStreamDialect {
  const l16 = codec === 'L16';
  return {
    carrier: 'telnyx',
    encoding: l16 ? 'l16be' : 'mulaw',
    sampleRate: l16 ? 16000 : 8000,
    chunkMs: 20,
    echoesMarksOnClear: false,
    opening: (call) => [
      JSON.stringify({ event: 'connected', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequence_number: '1',
        start: {
          user_id: 'user-1',
          call_control_id: call.callId,
          client_state: null,
          custom_parameters: call.parameters,
          media_format: { encoding: codec, sample_rate: l16 ? 16000 : 8000, channels: 1 },
        },
        stream_id: call.streamId,
      }),
    ],
    media: (call, payload, seq) =>
      JSON.stringify({
        event: 'media',
        sequence_number: String(seq + 1),
        media: {
          track: 'inbound',
          chunk: String(seq),
          timestamp: String((seq - 1) * 20),
          payload: toBase64(payload),
        },
        stream_id: call.streamId,
      }),
    dtmf: (call, digit) =>
      JSON.stringify({
        event: 'dtmf',
        stream_id: call.streamId,
        occurred_at: new Date().toISOString(),
        sequence_number: '0',
        dtmf: { digit },
      }),
    stop: (call) =>
      JSON.stringify({
        event: 'stop',
        sequence_number: '0',
        stop: { user_id: 'user-1', call_control_id: call.callId },
        stream_id: call.streamId,
      }),
    read(data) {
      const msg = JSON.parse(data.toString()) as Record<string, any>;
      if (msg.event === 'media') return { type: 'media', payload: fromBase64(msg.media.payload) };
      if (msg.event === 'mark') return { type: 'mark', name: msg.mark.name };
      if (msg.event === 'clear') return { type: 'clear' };
      return { type: 'other', message: msg };
    },
    markEcho: (call, name) =>
      JSON.stringify({ event: 'mark', sequence_number: '0', stream_id: call.streamId, mark: { name } }),
  };
}

export interface FakeTelnyxVoiceHost {
  readonly apiKey: string;
  phoneNumber: string;
  signHeaders(body: Buffer | string): Record<string, string>;
}

export class FakeTelnyxVoice extends FakeVoiceBase {
  /** The codec the TeXML asked for (read from the markup and from dial requests). */
  codec: 'PCMU' | 'L16' = 'PCMU';

  constructor(private readonly host: FakeTelnyxVoiceHost) {
    super();
  }

  get dialect(): FakeStreamDialect {
    return telnyxDialect(this.codec);
  }

  /** Telnyx does not sign the WebSocket upgrade. */
  upgradeHeaders(): Record<string, string> {
    return {};
  }

  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest {
    const callId = `v3:${randomUUID().replace(/-/g, '')}`;
    const to = opts.to ?? this.host.phoneNumber;
    const body = encodeForm({
      AccountSid: 'a8d4b1f0-0000-4000-8000-000000000000',
      CallSid: callId,
      CallSidLegacy: callId,
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: opts.from,
      To: to,
    });
    return {
      url: opts.webhookUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.host.signHeaders(body) },
      body,
      callId,
      from: opts.from,
      to,
    };
  }

  streamUrlOf(webhook: DispatchedWebhook): string {
    const stream = streamOfXml(webhook.response.body);
    this.codec = stream.attributes.bidirectionalCodec === 'L16' ? 'L16' : 'PCMU';
    return stream.url;
  }

  protected override streamParameters(webhook: DispatchedWebhook): Record<string, string> {
    return streamOfXml(webhook.response.body).parameters;
  }

  /** `/v2/calls` and `/v2/calls/{id}/actions/{hangup,transfer}`; undefined for other routes. */
  async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const m = /^\/v2\/calls(?:\/([^/]+)\/actions\/(hangup|transfer))?$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return undefined;
    if (req.headers.authorization !== `Bearer ${this.host.apiKey}`)
      return { status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed' }] } };
    let body: Record<string, any>;
    try {
      body = JSON.parse(req.body.toString() || '{}');
    } catch {
      return { status: 400, body: { errors: [{ code: '10015', title: 'Bad Request' }] } };
    }
    if (!m[1]) {
      if (!body.connection_id || !body.to || !body.from || !body.stream_url)
        return { status: 422, body: { errors: [{ code: '10004', title: 'Missing required parameter' }] } };
      const id = `v3:${randomUUID().replace(/-/g, '')}`;
      this.codec = body.stream_bidirectional_codec === 'L16' ? 'L16' : 'PCMU';
      this.dial({ callId: id, from: body.from, to: body.to }, body.stream_url, body);
      return {
        status: 200,
        body: { data: { call_control_id: id, call_leg_id: randomUUID(), is_alive: true } },
      };
    }
    const id = decodeURIComponent(m[1]);
    const known =
      m[2] === 'hangup'
        ? this.endByCommand('hangup', id, body)
        : this.endByCommand('transfer', id, body, String(body.to ?? ''));
    if (!known)
      return { status: 422, body: { errors: [{ code: '90018', title: 'Call has already ended' }] } };
    return { status: 200, body: { data: { result: 'ok' } } };
  }
}
