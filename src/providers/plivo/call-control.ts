/**
 * Plivo calls over the REST API: `POST /Call/` dials (Plivo fetches our answer URL, which
 * streams the answered call), `DELETE /Call/{uuid}/` hangs up, and `POST /Call/{uuid}/` with
 * `legs=aleg` transfers: Plivo fetches `aleg_url`, which answers with a `<Dial>`.
 */
import type { CarrierCallControl, DialRequest } from '../shared/media-stream/call-control.js';
import { type PlivoCredentials, PlivoError, PlivoRestClient } from './rest-client.js';

export interface PlivoCallControlOptions extends PlivoCredentials {
  /** The URL that answers a transfer with `<Dial>` to `target` (the backend serves one). */
  transferUrl?: (target: string) => string;
}

export class PlivoCallControl implements CarrierCallControl {
  readonly carrier = 'plivo';
  readonly client: PlivoRestClient;

  constructor(
    private readonly opts: PlivoCallControlOptions = {},
    client?: PlivoRestClient,
  ) {
    this.client = client ?? new PlivoRestClient(opts);
  }

  async dial(request: DialRequest, signal?: AbortSignal): Promise<string> {
    const body = await this.client.request(
      'POST',
      'Call/',
      {
        from: request.from.replace(/^\+/, ''),
        to: request.to.replace(/^\+/, ''),
        answer_url: request.answerUrl,
        answer_method: 'POST',
        hangup_url: request.statusUrl,
        hangup_method: 'POST',
      },
      signal,
    );
    const uuid = body.request_uuid;
    if (typeof uuid !== 'string') throw new PlivoError('call create answered without a request_uuid', 502);
    // Plivo names the call (CallUUID) when it is answered; until then the request id stands for it.
    return uuid;
  }

  async hangup(callId: string, signal?: AbortSignal): Promise<void> {
    await this.client.request('DELETE', `Call/${encodeURIComponent(callId)}/`, undefined, signal);
  }

  async transfer(callId: string, target: string, signal?: AbortSignal): Promise<void> {
    const url = this.opts.transferUrl?.(target);
    if (!url) throw new PlivoError('transfers need a transferUrl that answers with <Dial>', 400);
    await this.client.request(
      'POST',
      `Call/${encodeURIComponent(callId)}/`,
      { legs: 'aleg', aleg_url: url, aleg_method: 'POST' },
      signal,
    );
  }
}
