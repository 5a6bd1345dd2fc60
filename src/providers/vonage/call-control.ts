/**
 * Vonage calls over the Voice API (v1, application JWT): `POST /v1/calls` dials with an NCCO
 * that connects the answered call to our WebSocket, `PUT /v1/calls/{uuid}` hangs up
 * (`action: hangup`) or transfers (`action: transfer` to an NCCO that connects elsewhere).
 */
import type { CarrierCallControl, DialRequest } from '../shared/media-stream/call-control.js';
import { connectWebsocketNcco, transferNcco } from './ncco.js';
import { type VonageCredentials, VonageError, VonageRestClient } from './rest-client.js';

export interface VonageCallControlOptions extends VonageCredentials {
  /** Content type of dialled calls' streams (default `audio/l16;rate=16000`). */
  contentType?: string;
}

export class VonageCallControl implements CarrierCallControl {
  readonly carrier = 'vonage';
  readonly client: VonageRestClient;

  constructor(
    private readonly opts: VonageCallControlOptions = {},
    client?: VonageRestClient,
  ) {
    this.client = client ?? new VonageRestClient(opts);
  }

  async dial(request: DialRequest, signal?: AbortSignal): Promise<string> {
    const body = await this.client.post(
      'v1/calls',
      {
        to: [{ type: 'phone', number: request.to.replace(/^\+/, '') }],
        from: { type: 'phone', number: request.from.replace(/^\+/, '') },
        ncco: connectWebsocketNcco({
          url: request.streamUrl,
          contentType: this.opts.contentType ?? 'audio/l16;rate=16000',
          headers: request.parameters,
        }),
        ...(request.statusUrl ? { event_url: [request.statusUrl], event_method: 'POST' } : {}),
      },
      signal,
    );
    if (typeof body.uuid !== 'string') throw new VonageError('call create answered without a uuid', 502);
    return body.uuid;
  }

  async hangup(callId: string, signal?: AbortSignal): Promise<void> {
    await this.client.request('PUT', `v1/calls/${encodeURIComponent(callId)}`, { action: 'hangup' }, signal);
  }

  async transfer(callId: string, target: string, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      'PUT',
      `v1/calls/${encodeURIComponent(callId)}`,
      { action: 'transfer', destination: { type: 'ncco', ncco: transferNcco(target) } },
      signal,
    );
  }
}
