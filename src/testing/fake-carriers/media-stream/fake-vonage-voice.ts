/**
 * The voice half of FakeVonageServer: places calls to our answer webhook (JSON post with the
 * HS256 JWT Vonage signs webhooks with), follows the NCCO's websocket endpoint (the handshake
 * carries the same kind of JWT), plays Vonage's WebSocket protocol (binary L16, `notify` echoed
 * as `websocket:notify` once played, `clear` acknowledged with `websocket:cleared`), and serves
 * the Voice API (`POST /v1/calls`, `PUT /v1/calls/{uuid}`) behind an application JWT (RS256).
 */
import { createHash, createHmac, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { DispatchedWebhook, FakeCarrierReply, FakeRequest } from '../fake-carrier-server.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import { FakeVoiceBase } from './fake-voice-base.js';
import type { FakeWebhookRequest } from './fake-voice-types.js';

export function vonageDialect(sampleRate: 8000 | 16000 = 16000): FakeStreamDialect {
  return {
    carrier: 'vonage',
    encoding: 'l16le',
    sampleRate,
    chunkMs: 20,
    echoesMarksOnClear: false,
    opening: (call) => [
      JSON.stringify({
        event: 'websocket:connected',
        'content-type': `audio/l16;rate=${sampleRate}`,
        ...call.parameters,
      }),
    ],
    media: (_call, payload) => Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    dtmf: (_call, digit) => JSON.stringify({ event: 'websocket:dtmf', digit, duration: 260 }),
    stop: () => undefined,
    read(data, isBinary) {
      if (isBinary) return { type: 'media', payload: new Uint8Array(data) };
      const msg = JSON.parse(data.toString()) as Record<string, any>;
      if (msg.action === 'notify') return { type: 'mark', name: msg.payload?.name };
      if (msg.action === 'clear') return { type: 'clear' };
      return { type: 'other', message: msg };
    },
    markEcho: (_call, name) => JSON.stringify({ event: 'websocket:notify', payload: { name } }),
    clearedEcho: () => JSON.stringify({ event: 'websocket:cleared' }),
  };
}

export interface FakeVonageVoiceHost {
  readonly signatureSecret: string;
  readonly applicationId: string;
  readonly apiKey: string;
  phoneNumber: string;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');
const digits = (n: string) => n.replace(/^\+/, '');

export class FakeVonageVoice extends FakeVoiceBase {
  /** The stream rate the NCCO asked for. */
  sampleRate: 8000 | 16000 = 16000;
  /** The application's key pair: our code signs Voice API requests with the private one. */
  readonly privateKey: string;
  private readonly publicKey: KeyObject;

  constructor(private readonly host: FakeVonageVoiceHost) {
    super();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    this.publicKey = publicKey;
  }

  get dialect(): FakeStreamDialect {
    return vonageDialect(this.sampleRate);
  }

  /** `Bearer <jwt>` as Vonage signs a request: HS256 with the signature secret, iat, jti, payload_hash. */
  authorization(body: string): string {
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims = b64url(
      JSON.stringify({
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        iss: 'Vonage',
        api_key: this.host.apiKey,
        application_id: this.host.applicationId,
        ...(body ? { payload_hash: createHash('sha256').update(body).digest('hex') } : {}),
      }),
    );
    const signature = createHmac('sha256', this.host.signatureSecret)
      .update(`${header}.${claims}`)
      .digest('base64url');
    return `Bearer ${header}.${claims}.${signature}`;
  }

  upgradeHeaders(): Record<string, string> {
    return { authorization: this.authorization('') };
  }

  answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest {
    const callId = randomUUID();
    const to = opts.to ?? this.host.phoneNumber;
    const body = JSON.stringify({
      from: digits(opts.from),
      to: digits(to),
      uuid: callId,
      conversation_uuid: `CON-${randomUUID()}`,
      region_url: 'https://api-us-3.vonage.com',
    });
    return {
      url: opts.webhookUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: this.authorization(body) },
      body,
      callId,
      from: opts.from,
      to,
    };
  }

  streamUrlOf(webhook: DispatchedWebhook): string {
    return this.endpointOf(JSON.parse(webhook.response.body)).uri;
  }

  protected override streamParameters(webhook: DispatchedWebhook): Record<string, string> {
    return this.endpointOf(JSON.parse(webhook.response.body)).headers ?? {};
  }

  /** `/v1/calls` and `/v1/calls/{uuid}`; undefined for other routes. */
  async api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    const m = /^\/v1\/calls(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return undefined;
    const token = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'] });
      if (payload.application_id !== this.host.applicationId) throw new Error('wrong application');
    } catch {
      return {
        status: 401,
        body: { type: 'https://developer.nexmo.com/api-errors#unauthorized', title: 'Unauthorized' },
      };
    }
    const body = JSON.parse(req.body.toString() || '{}') as Record<string, any>;
    if (!m[1] && req.method === 'POST') {
      const to = body.to?.[0]?.number;
      const from = body.from?.number;
      const endpoint = Array.isArray(body.ncco) ? this.endpointOf(body.ncco) : undefined;
      if (!to || !from || !endpoint)
        return {
          status: 400,
          body: { type: 'https://developer.nexmo.com/api-errors#validation', title: 'Bad Request' },
        };
      const uuid = randomUUID();
      this.sampleRate = endpoint['content-type']?.includes('8000') ? 8000 : 16000;
      this.dial(
        { callId: uuid, from: `+${from}`, to: `+${to}`, parameters: endpoint.headers },
        endpoint.uri,
        body,
      );
      return {
        status: 201,
        body: { uuid, status: 'started', direction: 'outbound', conversation_uuid: `CON-${randomUUID()}` },
      };
    }
    if (m[1] && req.method === 'PUT') {
      const uuid = decodeURIComponent(m[1]);
      const known =
        body.action === 'hangup'
          ? this.endByCommand('hangup', uuid, body)
          : body.action === 'transfer'
            ? this.endByCommand('transfer', uuid, body, this.transferTarget(body))
            : false;
      return known ? { status: 204 } : { status: 404, body: { title: 'Not Found', detail: `call ${uuid}` } };
    }
    return undefined;
  }

  private endpointOf(ncco: any[]): {
    uri: string;
    'content-type'?: string;
    headers?: Record<string, string>;
  } {
    const connect = ncco.find((a) => a.action === 'connect');
    const endpoint = connect?.endpoint?.find((e: { type: string }) => e.type === 'websocket');
    if (!endpoint) throw new Error('the NCCO connects no websocket');
    this.sampleRate = endpoint['content-type']?.includes('8000') ? 8000 : 16000;
    return endpoint;
  }

  private transferTarget(body: Record<string, any>): string {
    const endpoint = body.destination?.ncco?.[0]?.endpoint?.[0];
    return endpoint?.type === 'phone' ? `+${endpoint.number}` : String(endpoint?.uri ?? '');
  }
}
