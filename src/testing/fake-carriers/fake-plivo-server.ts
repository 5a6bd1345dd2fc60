/**
 * A fake Plivo for phone calls: the Call REST API (`/v1/Account/{auth_id}/Call/`, Basic auth),
 * answer and transfer requests signed with `X-Plivo-Signature-V3` exactly as Plivo signs them,
 * and the audio-streaming protocol on the streams it opens. Plivo SMS is not faked.
 */
import { randomBytes } from 'node:crypto';
import {
  type DispatchedWebhook,
  type FakeCarrierOptions,
  type FakeCarrierReply,
  FakeCarrierServer,
  type FakeRequest,
} from './fake-carrier-server.js';
import { FakePlivoVoice } from './media-stream/fake-plivo-voice.js';

export interface FakePlivoOptions extends FakeCarrierOptions {
  authId?: string;
  authToken?: string;
  phoneNumber?: string;
}

export class FakePlivoServer extends FakeCarrierServer {
  readonly authId: string;
  readonly authToken: string;
  phoneNumber: string;
  /** Phone calls: answer URLs, the audio-streaming protocol, the Call API. */
  readonly voice: FakePlivoVoice;

  constructor(opts: FakePlivoOptions = {}) {
    super(opts);
    this.authId = opts.authId ?? `MA${randomBytes(9).toString('hex').toUpperCase()}`;
    this.authToken = opts.authToken ?? randomBytes(20).toString('hex');
    this.phoneNumber = opts.phoneNumber ?? '+14155550100';
    this.voice = new FakePlivoVoice(this);
  }

  protected api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    return this.voice.api(req, url);
  }

  protected errorBody(_status: number, message: string): unknown {
    return { api_id: randomBytes(8).toString('hex'), error: message };
  }

  receiveMessage(): Promise<DispatchedWebhook> {
    return Promise.reject(new Error('FakePlivoServer fakes calls, not Plivo SMS'));
  }

  reportStatus(): Promise<DispatchedWebhook> {
    return Promise.reject(new Error('FakePlivoServer fakes calls, not Plivo SMS'));
  }
}
