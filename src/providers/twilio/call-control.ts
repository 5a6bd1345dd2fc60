/**
 * Twilio calls over the REST API (2010-04-01): `POST Calls.json` to dial (with inline TwiML
 * that connects the answered call to our stream), `POST Calls/{CallSid}.json` with
 * `Status=completed` to hang up or with new TwiML (`<Dial>`) to transfer.
 */
import type { CarrierCallControl, DialRequest } from '../shared/media-stream/call-control.js';
import { type TwilioCredentials, TwilioError, TwilioRestClient } from './rest-client.js';
import { connectStreamTwiml, dialTwiml } from './twiml.js';

export class TwilioCallControl implements CarrierCallControl {
  readonly carrier = 'twilio';
  readonly client: TwilioRestClient;

  constructor(credentials: TwilioCredentials | TwilioRestClient = {}) {
    this.client = credentials instanceof TwilioRestClient ? credentials : new TwilioRestClient(credentials);
  }

  async dial(request: DialRequest, signal?: AbortSignal): Promise<string> {
    const body = await this.client.post(
      'Calls.json',
      {
        To: request.to,
        From: request.from,
        Twiml: connectStreamTwiml({ url: request.streamUrl, parameters: request.parameters }),
        StatusCallback: request.statusUrl,
        StatusCallbackEvent: request.statusUrl
          ? ['initiated', 'ringing', 'answered', 'completed']
          : undefined,
      },
      signal,
    );
    if (typeof body.sid !== 'string') throw new TwilioError('call create answered without a sid', 502);
    return body.sid;
  }

  async hangup(callId: string, signal?: AbortSignal): Promise<void> {
    await this.client.post(`Calls/${encodeURIComponent(callId)}.json`, { Status: 'completed' }, signal);
  }

  async transfer(callId: string, target: string, signal?: AbortSignal): Promise<void> {
    await this.client.post(`Calls/${encodeURIComponent(callId)}.json`, { Twiml: dialTwiml(target) }, signal);
  }
}
