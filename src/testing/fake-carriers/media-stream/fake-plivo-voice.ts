/**
 * The voice half of FakePlivoServer: places calls to our answer URL (form post signed V3),
 * follows the `<Stream>` to our WebSocket, plays Plivo's audio-streaming protocol
 * (`playAudio` in, `checkpoint` answered with `playedStream` once played, `clearAudio`
 * answered with `clearedAudio`), and serves the Call API: create (Plivo then fetches the
 * answer URL), hang up (DELETE), transfer (Plivo fetches `aleg_url` and dials what it says).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { encodeForm } from '../../../providers/shared/form-body.js';
import { plivoSignatureV3 } from '../../../providers/plivo/signature.js';
import { fromBase64, toBase64 } from '../../../providers/shared/media-stream/wire-audio.js';
import {
  type DispatchedWebhook,
  type FakeCarrierReply,
  type FakeRequest,
  postWebhook,
} from '../fake-carrier-server.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import { FakeVoiceBase } from './fake-voice-base.js';
import type { FakeWebhookRequest } from './fake-voice-types.js';
import { findXml, parseXml, streamOfXml } from './markup.js';

export const plivoDialect: FakeStreamDialect = {
  carrier: 'plivo',
  encoding: 'mulaw',
  sampleRate: 8000,
  chunkMs: 20,
  echoesMarksOnClear: false,
  opening: (call) => [
    JSON.stringify({
      event: 'start',
      sequenceNumber: 1,
      start: {
        callId: call.callId,
        streamId: call.streamId,
        accountId: 'MA0000000000000000',
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
      },
      extra_headers: Object.entries(call.parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(';'),
    }),
  ],
  media: (call, payload, seq) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: seq + 1,
      streamId: call.streamId,
      media: { track: 'inbound', timestamp: String(Date.now()), chunk: seq, payload: toBase64(payload) },
    }),
  dtmf: (call, digit) =>
    JSON.stringify({
      event: 'dtmf',
      sequenceNumber: 0,
      streamId: call.streamId,
      dtmf: { track: 'inbound', digit, timestamp: String(Date.now()) },
    }),
  stop: () => undefined,
  read(data) {
    const msg = JSON.parse(data.toString()) as Record<string, any>;
    if (msg.event === 'playAudio') return { type: 'media', payload: fromBase64(msg.media.payload) };
    if (msg.event === 'checkpoint') return { type: 'mark', name: msg.name };
    if (msg.event === 'clearAudio') return { type: 'clear' };
    return { type: 'other', message: msg };
  },
  markEcho: (call, name) =>
    JSON.stringify({ event: 'playedStream', sequenceNumber: 0, streamId: call.streamId, name }),
  clearedEcho: (call) =>
    JSON.stringify({ event: 'clearedAudio', sequenceNumber: 0, streamId: call.streamId }),
};

export interface FakePlivoVoiceHost {
  readonly authId: string;
  readonly authToken: string;
  phoneNumber: string;
}

const digits = (n: string) => n.replace(/^\+/, '');

export class FakePlivoVoice extends FakeVoiceBase {
  readonly dialect = plivoDialect;

  constructor(private readonly host: FakePlivoVoiceHost) {
    super();
  }

  /** Plivo signs all its requests; the stream's handshake too, as the fake plays it. */
  upgradeHeaders(url: string): Record<string, string> {
    return this.sign('GET', url, {});
  }

  sign(method: 'GET' | 'POST', url: string, params: Record<string, string>): Record<string, string> {
    const nonce = String(randomInt(1e9, 1e10)) + String(randomInt(1e9, 1e10));
    return {
      'x-plivo-signature-v3': plivoSignatureV3(this.host.authToken, method, url, nonce, params),
      'x-plivo-signature-v3-nonce': nonce,
    };
  }

  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest {
    const callId = randomUUID();
    const to = opts.to ?? this.host.phoneNumber;
    return this.signedPost(
      opts.webhookUrl,
      {
        CallUUID: callId,
        CallStatus: 'ringing',
        Direction: 'inbound',
        Event: 'StartApp',
        From: digits(opts.from),
        To: digits(to),
      },
      { callId, from: opts.from, to },
    );
  }

  streamUrlOf(webhook: DispatchedWebhook): string {
    return streamOfXml(webhook.response.body).url;
  }

  protected override streamParameters(webhook: DispatchedWebhook): Record<string, string> {
    const headers = streamOfXml(webhook.response.body).attributes.extraHeaders ?? '';
    return Object.fromEntries(
      headers
        .split(',')
        .filter(Boolean)
        .map((p) => p.split('=') as [string, string]),
    );
  }

  /** `/v1/Account/{id}/Call/[{uuid}/]`; undefined for other routes. */
  async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const m = /^\/v1\/Account\/([^/]+)\/Call\/(?:([^/]+)\/)?$/.exec(url.pathname);
    if (!m) return undefined;
    const expected = `Basic ${Buffer.from(`${this.host.authId}:${this.host.authToken}`).toString('base64')}`;
    if (m[1] !== this.host.authId || req.headers.authorization !== expected)
      return { status: 401, body: { api_id: randomUUID(), error: 'Authentication credentials invalid' } };
    const body = req.body.length ? (JSON.parse(req.body.toString()) as Record<string, string>) : {};
    if (!m[2] && req.method === 'POST') return this.create(body);
    const uuid = decodeURIComponent(m[2] ?? '');
    if (req.method === 'DELETE') {
      return this.endByCommand('hangup', uuid, body)
        ? { status: 204 }
        : { status: 404, body: { api_id: randomUUID(), error: 'call not found' } };
    }
    if (req.method === 'POST' && body.legs === 'aleg' && body.aleg_url) {
      if (!this.streams.has(uuid))
        return { status: 404, body: { api_id: randomUUID(), error: 'call not found' } };
      // Plivo fetches the new XML, then moves the call where it says.
      const xml = await postWebhook(
        body.aleg_url,
        {
          'content-type': 'application/x-www-form-urlencoded',
          ...this.sign('POST', body.aleg_url, { CallUUID: uuid }),
        },
        encodeForm({ CallUUID: uuid }),
      );
      const target =
        findXml(parseXml(xml.response.body), 'Number')?.text ??
        findXml(parseXml(xml.response.body), 'User')?.text;
      this.endByCommand('transfer', uuid, body, target);
      return { status: 202, body: { api_id: randomUUID(), message: 'call transferred' } };
    }
    return { status: 400, body: { api_id: randomUUID(), error: 'unsupported call update' } };
  }

  private create(body: Record<string, string>): FakeCarrierReply {
    if (!body.from || !body.to || !body.answer_url)
      return { status: 400, body: { api_id: randomUUID(), error: 'from, to and answer_url are required' } };
    const requestUuid = randomUUID();
    const callId = randomUUID();
    this.commands.push({ action: 'dial', callId: requestUuid, target: `+${digits(body.to)}`, raw: body });
    // The callee answers: Plivo fetches the answer URL and streams where it says.
    setTimeout(() => {
      const req = this.signedPost(
        body.answer_url!,
        {
          CallUUID: callId,
          RequestUUID: requestUuid,
          CallStatus: 'in-progress',
          Direction: 'outbound',
          From: digits(body.from!),
          To: digits(body.to!),
        },
        { callId, from: `+${digits(body.from!)}`, to: `+${digits(body.to!)}` },
      );
      void postWebhook(req.url, req.headers, req.body).then((answer) => {
        if (answer.response.status === 200) this.dialled.push(this.openStream(this.streamUrlOf(answer), req));
      });
    }, 10).unref();
    return { status: 201, body: { api_id: randomUUID(), message: 'call fired', request_uuid: requestUuid } };
  }

  private signedPost(
    url: string,
    params: Record<string, string>,
    call: { callId: string; from: string; to: string },
  ): FakeWebhookRequest {
    return {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.sign('POST', url, params) },
      body: encodeForm(params),
      ...call,
    };
  }
}
