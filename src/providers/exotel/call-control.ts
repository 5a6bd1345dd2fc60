/**
 * Exotel calls: `POST /v1/accounts/{sid}/calls/connect` dials a number and connects the
 * answered call to our stream (Connect Voice AI); a call's leg is hung up with the CPaaS
 * legs API (`.../legs/{leg}/actions/hangup`) and transferred with an ExoML `<Dial>` action.
 */
import type { CarrierCallControl, DialRequest } from '../shared/media-stream/call-control.js';
import { xmlDocument } from '../shared/media-stream/xml.js';
import { type ExotelCredentials, ExotelError, ExotelRestClient } from './rest-client.js';

export class ExotelCallControl implements CarrierCallControl {
  readonly carrier = 'exotel';
  readonly client: ExotelRestClient;

  constructor(credentials: ExotelCredentials | ExotelRestClient = {}) {
    this.client = credentials instanceof ExotelRestClient ? credentials : new ExotelRestClient(credentials);
  }

  async dial(request: DialRequest, signal?: AbortSignal): Promise<string> {
    const body = await this.client.postV1(
      'calls/connect',
      {
        from: request.to,
        callerid: request.from,
        streamurl: request.streamUrl,
        streamtype: 'bidirectional',
        statuscallback: request.statusUrl,
        'statuscallbackevents[]': request.statusUrl ? 'terminal' : undefined,
      },
      signal,
    );
    const call = body.call as { sid?: unknown } | undefined;
    if (typeof call?.sid !== 'string') throw new ExotelError('connect answered without a call sid', 502);
    return call.sid;
  }

  async hangup(callId: string, signal?: AbortSignal): Promise<void> {
    await this.client.postV2(`legs/${encodeURIComponent(callId)}/actions/hangup`, {}, signal);
  }

  async transfer(callId: string, target: string, signal?: AbortSignal): Promise<void> {
    const exoml = xmlDocument({
      name: 'Flow',
      children: [{ name: 'Dial', children: [{ name: 'Number', children: [target] }] }],
    });
    await this.client.postV2(`legs/${encodeURIComponent(callId)}/actions`, { exoml }, signal);
  }
}
