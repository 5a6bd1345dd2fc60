/**
 * The voice half of FakeTwilioServer: places calls to our voice webhook (signed form post),
 * follows the `<Connect><Stream>` TwiML to our WebSocket (signed upgrade), plays the Media
 * Streams protocol, and serves the Calls REST API (create with inline TwiML, hang up with
 * `Status=completed`, transfer with new TwiML), recording every command.
 */
import { randomBytes } from 'node:crypto';
import { encodeForm, field, parseUrlEncoded } from '../../../providers/shared/form-body.js';
import { twilioSignature } from '../../../providers/twilio/signature.js';
import { fromBase64, toBase64 } from '../../../providers/shared/media-stream/wire-audio.js';
import type { DispatchedWebhook, FakeCarrierReply, FakeRequest } from '../fake-carrier-server.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import { FakeVoiceBase } from './fake-voice-base.js';
import type { FakeWebhookRequest } from './fake-voice-types.js';
import { findXml, parseXml, streamOfXml } from './markup.js';

export const twilioDialect: FakeStreamDialect = {
  carrier: 'twilio',
  encoding: 'mulaw',
  sampleRate: 8000,
  chunkMs: 20,
  echoesMarksOnClear: true,
  opening: (call) => [
    JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      start: {
        accountSid: call.parameters.__accountSid ?? 'AC0',
        streamSid: call.streamId,
        callSid: call.callId,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: withoutInternal(call.parameters),
      },
      streamSid: call.streamId,
    }),
  ],
  media: (call, payload, seq) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: String(seq + 1),
      media: {
        track: 'inbound',
        chunk: String(seq),
        timestamp: String((seq - 1) * 20),
        payload: toBase64(payload),
      },
      streamSid: call.streamId,
    }),
  dtmf: (call, digit) =>
    JSON.stringify({
      event: 'dtmf',
      streamSid: call.streamId,
      sequenceNumber: '0',
      dtmf: { track: 'inbound_track', digit },
    }),
  stop: (call) =>
    JSON.stringify({
      event: 'stop',
      sequenceNumber: '0',
      streamSid: call.streamId,
      stop: { callSid: call.callId },
    }),
  read(data) {
    const msg = JSON.parse(data.toString()) as Record<string, any>;
    if (msg.event === 'media') return { type: 'media', payload: fromBase64(msg.media.payload) };
    if (msg.event === 'mark') return { type: 'mark', name: msg.mark.name };
    if (msg.event === 'clear') return { type: 'clear' };
    return { type: 'other', message: msg };
  },
  markEcho: (call, name) =>
    JSON.stringify({ event: 'mark', sequenceNumber: '0', streamSid: call.streamId, mark: { name } }),
};

function withoutInternal(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !k.startsWith('__')));
}

export interface FakeTwilioVoiceHost {
  readonly accountSid: string;
  readonly authToken: string;
  phoneNumber: string;
}

export class FakeTwilioVoice extends FakeVoiceBase {
  readonly dialect = twilioDialect;

  constructor(private readonly host: FakeTwilioVoiceHost) {
    super();
  }

  /** Upgrade headers as Twilio signs them: `X-Twilio-Signature` over the wss URL. */
  upgradeHeaders(url: string): Record<string, string> {
    return { 'x-twilio-signature': twilioSignature(this.host.authToken, url, {}) };
  }

  /** The signed voice webhook of a new incoming call (not sent). */
  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest {
    const callId = `CA${randomBytes(16).toString('hex')}`;
    const to = opts.to ?? this.host.phoneNumber;
    const params: Record<string, string> = {
      AccountSid: this.host.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: callId,
      CallStatus: 'ringing',
      Called: to,
      Caller: opts.from,
      Direction: 'inbound',
      From: opts.from,
      To: to,
    };
    return {
      url: opts.webhookUrl,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(this.host.authToken, opts.webhookUrl, params),
      },
      body: encodeForm(params),
      callId,
      from: opts.from,
      to,
    };
  }

  streamUrlOf(webhook: DispatchedWebhook): string {
    return streamOfXml(webhook.response.body).url;
  }

  protected override streamParameters(webhook: DispatchedWebhook): Record<string, string> {
    return { ...streamOfXml(webhook.response.body).parameters, __accountSid: this.host.accountSid };
  }

  protected override newStreamId(): string {
    return `MZ${randomBytes(16).toString('hex')}`;
  }

  /** `/2010-04-01/Accounts/{sid}/Calls[.json|/{CallSid}.json]`; undefined for other routes. */
  async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return undefined;
    const expected = `Basic ${Buffer.from(`${this.host.accountSid}:${this.host.authToken}`).toString('base64')}`;
    if (m[1] !== this.host.accountSid || req.headers.authorization !== expected) {
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    }
    const params = parseUrlEncoded(req.body.toString('utf8'));
    if (!m[2]) return this.create(params);
    const sid = decodeURIComponent(m[2]);
    const twiml = field(params, 'Twiml');
    let known: boolean;
    if (field(params, 'Status') === 'completed') known = this.endByCommand('hangup', sid, params);
    else if (twiml) {
      const dial = findXml(parseXml(twiml), 'Dial');
      known = this.endByCommand('transfer', sid, params, dial?.children[0]?.text ?? dial?.text ?? '');
    } else return { status: 400, body: { code: 21220, message: 'Invalid call state', status: 400 } };
    if (!known) return { status: 404, body: { code: 20404, message: `Call ${sid} not found`, status: 404 } };
    return { status: 200, body: { sid, status: 'completed', account_sid: this.host.accountSid } };
  }

  private create(params: Record<string, string | string[]>): FakeCarrierReply {
    const to = field(params, 'To');
    const from = field(params, 'From');
    const twiml = field(params, 'Twiml');
    if (!to || !from || !twiml)
      return { status: 400, body: { code: 21205, message: 'To, From and Twiml are required', status: 400 } };
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const stream = streamOfXml(twiml);
    this.dial(
      { callId: sid, from, to, parameters: { ...stream.parameters, __accountSid: this.host.accountSid } },
      stream.url,
      params,
    );
    return { status: 201, body: { sid, status: 'queued', to, from, account_sid: this.host.accountSid } };
  }
}
