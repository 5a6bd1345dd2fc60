/**
 * A fake Exotel for phone calls: the Voicebot applet's requests and stream (Basic auth, as
 * Exotel authenticates), the v1 `calls/connect` and v2 legs APIs behind the API key and token.
 * One server answers both API origins. Exotel SMS is not faked.
 */
import { randomBytes } from 'node:crypto';
import {
  type DispatchedWebhook,
  type FakeCarrierOptions,
  type FakeCarrierReply,
  FakeCarrierServer,
  type FakeRequest,
} from './fake-carrier-server.js';
import { FakeExotelVoice } from './media-stream/fake-exotel-voice.js';

export interface FakeExotelOptions extends FakeCarrierOptions {
  accountSid?: string;
  apiKey?: string;
  apiToken?: string;
  phoneNumber?: string;
}

export class FakeExotelServer extends FakeCarrierServer {
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  phoneNumber: string;
  /** Phone calls: the Voicebot applet, its stream protocol, the call APIs. */
  readonly voice: FakeExotelVoice;

  constructor(opts: FakeExotelOptions = {}) {
    super(opts);
    this.accountSid = opts.accountSid ?? `acct${randomBytes(6).toString('hex')}`;
    this.apiKey = opts.apiKey ?? randomBytes(12).toString('hex');
    this.apiToken = opts.apiToken ?? randomBytes(16).toString('hex');
    this.phoneNumber = opts.phoneNumber ?? '+918047491899';
    this.voice = new FakeExotelVoice(this);
  }

  protected api(req: FakeRequest, url: URL): Promise<FakeCarrierReply | undefined> {
    return this.voice.api(req, url);
  }

  protected errorBody(status: number, message: string): unknown {
    return { RestException: { Status: status, Message: message } };
  }

  receiveMessage(): Promise<DispatchedWebhook> {
    return Promise.reject(new Error('FakeExotelServer fakes calls, not Exotel SMS'));
  }

  reportStatus(): Promise<DispatchedWebhook> {
    return Promise.reject(new Error('FakeExotelServer fakes calls, not Exotel SMS'));
  }
}
