/**
 * Twilio's REST API (2010-04-01): HTTP Basic auth with the Account SID and Auth Token,
 * form-encoded requests, JSON answers, errors as `{ code, message, more_info, status }`.
 * Shared by everything Twilio: SMS here, calls for the media-stream backend.
 */
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import { encodeForm } from '../shared/form-body.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { basicAuth, restDownload, restRequest } from '../shared/rest-request.js';

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';

export interface TwilioCredentials {
  /** Default `TWILIO_ACCOUNT_SID`. */
  accountSid?: string;
  /** Default `TWILIO_AUTH_TOKEN`. Also the key Twilio signs webhooks with. */
  authToken?: string;
  /** API origin (default `TWILIO_API_BASE_URL`, else the vendor's): tests and gateways point it elsewhere. */
  baseUrl?: string;
  /** Deadline per request (default 15 s). */
  timeoutMs?: number;
  fetch?: FetchLike;
}

/** A Twilio API error with Twilio's numeric code (21211 invalid number, 21610 unsubscribed recipient...). */
export class TwilioError extends ProviderError {
  readonly twilioCode?: number;
  constructor(message: string, status: number, twilioCode?: number) {
    super('twilio', twilioCode ? `${message} (${twilioCode})` : message, {
      code: twilioCode ? `twilio_${twilioCode}` : 'provider_error',
      status,
    });
    this.twilioCode = twilioCode;
  }
}

export class TwilioRestClient {
  readonly accountSid: string;
  private readonly authToken: string;
  readonly baseUrl: string;

  constructor(private readonly opts: TwilioCredentials = {}) {
    const accountSid = opts.accountSid ?? process.env.TWILIO_ACCOUNT_SID;
    const authToken = opts.authToken ?? process.env.TWILIO_AUTH_TOKEN;
    if (!accountSid || !authToken) {
      throw new AuthenticationError(
        'twilio',
        'no credentials: pass accountSid and authToken or set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
      );
    }
    this.accountSid = accountSid;
    this.authToken = authToken;
    this.baseUrl = (opts.baseUrl ?? process.env.TWILIO_API_BASE_URL ?? TWILIO_API_BASE_URL).replace(
      /\/+$/,
      '',
    );
  }

  /** The key for webhook signatures (kept private to this client's users, never logged). */
  get signingKey(): string {
    return this.authToken;
  }

  /** `POST /2010-04-01/Accounts/{sid}/<resource>.json` with form params. */
  async post(
    resource: string,
    params: Record<string, string | number | readonly string[] | undefined>,
    signal?: AbortSignal,
  ) {
    const response = await restRequest({
      provider: 'twilio',
      url: this.accountUrl(resource),
      headers: { authorization: basicAuth(this.accountSid, this.authToken) },
      form: encodeForm(params),
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyTwilioError,
    });
    return isRecord(response.body) ? response.body : {};
  }

  async get(resource: string, signal?: AbortSignal) {
    const response = await restRequest({
      provider: 'twilio',
      method: 'GET',
      url: this.accountUrl(resource),
      headers: { authorization: basicAuth(this.accountSid, this.authToken) },
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyTwilioError,
    });
    return isRecord(response.body) ? response.body : {};
  }

  /** Media of an inbound MMS (auth is sent in case "HTTP auth on media" is on). */
  download(url: string, signal?: AbortSignal, maxBytes = 20 * 1024 * 1024) {
    return restDownload({
      provider: 'twilio',
      url,
      headers: { authorization: basicAuth(this.accountSid, this.authToken) },
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      maxBytes,
    });
  }

  private accountUrl(resource: string): string {
    return `${this.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.accountSid)}/${resource.replace(/^\/+/, '')}`;
  }
}

function classifyTwilioError(status: number, body: unknown, message: string) {
  const code = isRecord(body) && typeof body.code === 'number' ? body.code : undefined;
  if (status === 401 || code === 20003) return new AuthenticationError('twilio', message, status);
  if (status === 429 || code === 20429) return new RateLimitError('twilio', message);
  if (status >= 500) return undefined;
  return new TwilioError(message, status, code);
}
