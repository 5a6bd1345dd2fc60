/**
 * The voice half of FakeExotelServer: a Voicebot applet whose URL is our answer endpoint
 * (GET with CallSid/CallFrom/CallTo and Basic auth, answered `{ url }`) or a static stream URL,
 * Exotel's stream protocol (16-bit PCM in 100 ms chunks, marks echoed when played), and the
 * APIs our code calls: `calls/connect` (v1) to dial, legs actions (v2) to hang up and transfer.
 */
import { randomBytes } from 'node:crypto';
import { parseUrlEncoded, field } from '../../../providers/shared/form-body.js';
import { fromBase64, toBase64 } from '../../../providers/shared/media-stream/wire-audio.js';
import type { DispatchedWebhook, FakeCarrierReply, FakeRequest } from '../fake-carrier-server.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import { type FakeCallParty, FakeVoiceBase } from './fake-voice-base.js';
import type { FakeWebhookRequest } from './fake-voice-types.js';
import { findXml, parseXml } from './markup.js';

export function exotelDialect(sampleRate: 8000 | 16000 = 8000): FakeStreamDialect {
  return {
    carrier: 'exotel',
    encoding: 'l16le',
    sampleRate,
    chunkMs: 100,
    echoesMarksOnClear: false,
    opening: (call) => [
      JSON.stringify({ event: 'connected' }),
      JSON.stringify({
        event: 'start',
        sequence_number: '1',
        stream_sid: call.streamId,
        start: {
          stream_sid: call.streamId,
          call_sid: call.callId,
          account_sid: 'exotel-account',
          from: call.from,
          to: call.to,
          custom_parameters: call.parameters,
          media_format: { encoding: 'base64', sample_rate: String(sampleRate), bit_rate: '16' },
        },
      }),
    ],
    media: (call, payload, seq) =>
      JSON.stringify({
        event: 'media',
        sequence_number: String(seq + 1),
        stream_sid: call.streamId,
        media: { chunk: String(seq), timestamp: String((seq - 1) * 100), payload: toBase64(payload) },
      }),
    dtmf: (call, digit) =>
      JSON.stringify({
        event: 'dtmf',
        sequence_number: '0',
        stream_sid: call.streamId,
        dtmf: { digit, duration: '100' },
      }),
    stop: (call) =>
      JSON.stringify({
        event: 'stop',
        sequence_number: '0',
        stream_sid: call.streamId,
        stop: { call_sid: call.callId, account_sid: 'exotel-account', reason: 'callended' },
      }),
    read(data) {
      const msg = JSON.parse(data.toString()) as Record<string, any>;
      if (msg.event === 'media') return { type: 'media', payload: fromBase64(msg.media.payload) };
      if (msg.event === 'mark') return { type: 'mark', name: msg.mark.name };
      if (msg.event === 'clear') return { type: 'clear' };
      return { type: 'other', message: msg };
    },
    markEcho: (call, name) =>
      JSON.stringify({ event: 'mark', sequence_number: '0', stream_sid: call.streamId, mark: { name } }),
  };
}

export interface FakeExotelVoiceHost {
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  phoneNumber: string;
}

export class FakeExotelVoice extends FakeVoiceBase {
  sampleRate: 8000 | 16000 = 8000;

  constructor(private readonly host: FakeExotelVoiceHost) {
    super();
  }

  get dialect(): FakeStreamDialect {
    return exotelDialect(this.sampleRate);
  }

  /** The Basic credentials written into the applet's URLs (Exotel's example uses the API key and token). */
  private get basic(): string {
    return `Basic ${Buffer.from(`${this.host.apiKey}:${this.host.apiToken}`).toString('base64')}`;
  }

  upgradeHeaders(): Record<string, string> {
    return { authorization: this.basic };
  }

  /** The applet fetching its dynamic URL for a new call. */
  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest {
    const callId = randomBytes(16).toString('hex');
    const to = opts.to ?? this.host.phoneNumber;
    const url = new URL(opts.webhookUrl);
    for (const [key, value] of Object.entries({
      CallSid: callId,
      CallFrom: opts.from,
      CallTo: to,
      Direction: 'incoming',
      CallType: 'call-attempt',
    }))
      url.searchParams.set(key, value);
    return {
      url: url.toString(),
      method: 'GET',
      headers: { authorization: this.basic },
      body: '',
      callId,
      from: opts.from,
      to,
    };
  }

  /** Exotel reads `url` from the JSON; the credentials in it become the handshake's Basic auth. */
  streamUrlOf(webhook: DispatchedWebhook): string {
    const url = new URL((JSON.parse(webhook.response.body) as { url: string }).url);
    const rate = Number(url.searchParams.get('sample-rate'));
    this.sampleRate = rate === 16000 ? 16000 : 8000;
    url.username = '';
    url.password = '';
    return url.toString();
  }

  protected override streamParameters(webhook: DispatchedWebhook): Record<string, string> {
    const url = new URL((JSON.parse(webhook.response.body) as { url: string }).url);
    return Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'sample-rate'));
  }

  /** A call through an applet configured with a static stream URL: no answer request, just the stream. */
  async streamCall(streamUrl: string, call: Omit<FakeCallParty, 'callId'> & { callId?: string }) {
    const stream = this.openStream(streamUrl, {
      ...call,
      callId: call.callId ?? randomBytes(16).toString('hex'),
    });
    await stream.opened;
    return stream;
  }

  /** `/v1/accounts/{sid}/calls/connect` and `/v2/accounts/{sid}/legs/{leg}/actions[/hangup]`. */
  async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const v1 = /^\/v1\/accounts\/([^/]+)\/calls\/connect$/i.exec(url.pathname);
    const v2 = /^\/v2\/accounts\/([^/]+)\/legs\/([^/]+)\/actions(\/hangup)?$/.exec(url.pathname);
    if ((!v1 && !v2) || req.method !== 'POST') return undefined;
    if ((v1 ?? v2)![1] !== this.host.accountSid || req.headers.authorization !== this.basic)
      return { status: 401, body: { RestException: { Status: 401, Message: 'Authentication is required' } } };
    if (v1) {
      const f = parseUrlEncoded(req.body.toString());
      const from = field(f, 'from');
      const callerId = field(f, 'callerid');
      const streamUrl = field(f, 'streamurl');
      if (!from || !callerId || !streamUrl)
        return {
          status: 400,
          body: { RestException: { Status: 400, Message: 'from, callerid and streamurl are required' } },
        };
      const sid = randomBytes(16).toString('hex');
      this.dial({ callId: sid, from: callerId, to: from }, streamUrl, f);
      return { status: 200, body: { call: { sid, status: 'in-progress', from, direction: 'outbound-api' } } };
    }
    const leg = decodeURIComponent(v2![2]!);
    const body = JSON.parse(req.body.toString() || '{}') as { exoml?: string };
    const target = body.exoml ? findXml(parseXml(body.exoml), 'Number')?.text : undefined;
    const known = v2![3]
      ? this.endByCommand('hangup', leg, body)
      : this.endByCommand('transfer', leg, body, target);
    return known
      ? { status: 202, body: { status: 'accepted' } }
      : { status: 404, body: { message: 'leg not found' } };
  }
}
