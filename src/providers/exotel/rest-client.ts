/**
 * Exotel's APIs: HTTP Basic auth with the API key and token, the classic v1 API
 * (`/v1/accounts/{sid}/...`, form-encoded) for placing calls, and the CPaaS v2 API
 * (`/v2/accounts/{sid}/legs/{leg}/actions...`, JSON) for acting on a call's leg.
 */
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import { encodeForm } from '../shared/form-body.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { basicAuth, restRequest } from '../shared/rest-request.js';

export const EXOTEL_API_BASE_URL = 'https://api.exotel.com';
export const EXOTEL_CPAAS_BASE_URL = 'https://cpaas-api.exotel.com';

export interface ExotelCredentials {
  /** Default `EXOTEL_ACCOUNT_SID` (or `EXOTEL_SID`). */
  accountSid?: string;
  /** Default `EXOTEL_API_KEY`. */
  apiKey?: string;
  /** Default `EXOTEL_API_TOKEN`. */
  apiToken?: string;
  /** v1 API origin (default `EXOTEL_API_BASE_URL`, else Singapore's; `https://api.in.exotel.com` for Mumbai). */
  baseUrl?: string;
  /** v2 (CPaaS) API origin (default `EXOTEL_CPAAS_BASE_URL`, else the v1 origin's region). */
  cpaasBaseUrl?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

export class ExotelError extends ProviderError {
  constructor(message: string, status: number) {
    super('exotel', message, { code: 'provider_error', status });
  }
}

export class ExotelRestClient {
  readonly accountSid: string;
  readonly apiKey: string;
  private readonly apiToken: string;
  readonly baseUrl: string;
  readonly cpaasBaseUrl: string;

  constructor(private readonly opts: ExotelCredentials = {}) {
    const accountSid = opts.accountSid ?? process.env.EXOTEL_ACCOUNT_SID ?? process.env.EXOTEL_SID;
    const apiKey = opts.apiKey ?? process.env.EXOTEL_API_KEY;
    const apiToken = opts.apiToken ?? process.env.EXOTEL_API_TOKEN;
    if (!accountSid || !apiKey || !apiToken) {
      throw new AuthenticationError(
        'exotel',
        'no credentials: pass accountSid, apiKey and apiToken or set EXOTEL_ACCOUNT_SID, EXOTEL_API_KEY and EXOTEL_API_TOKEN',
      );
    }
    this.accountSid = accountSid;
    this.apiKey = apiKey;
    this.apiToken = apiToken;
    this.baseUrl = (opts.baseUrl ?? process.env.EXOTEL_API_BASE_URL ?? EXOTEL_API_BASE_URL).replace(
      /\/+$/,
      '',
    );
    this.cpaasBaseUrl = (
      opts.cpaasBaseUrl ??
      process.env.EXOTEL_CPAAS_BASE_URL ??
      (opts.baseUrl ?? process.env.EXOTEL_API_BASE_URL)?.replace('//api.', '//cpaas-api.') ??
      EXOTEL_CPAAS_BASE_URL
    ).replace(/\/+$/, '');
  }

  /** The API token (the default password of the stream's Basic auth; never logged). */
  get secret(): string {
    return this.apiToken;
  }

  /** `POST /v1/accounts/{sid}/<resource>` with form params. */
  async postV1(resource: string, params: Record<string, string | undefined>, signal?: AbortSignal) {
    return this.send(
      `${this.baseUrl}/v1/accounts/${encodeURIComponent(this.accountSid)}/${resource}`,
      { form: encodeForm(params) },
      signal,
    );
  }

  /** `POST /v2/accounts/{sid}/<resource>` with a JSON body. */
  async postV2(resource: string, json: unknown, signal?: AbortSignal) {
    return this.send(
      `${this.cpaasBaseUrl}/v2/accounts/${encodeURIComponent(this.accountSid)}/${resource}`,
      { json },
      signal,
    );
  }

  private async send(url: string, body: { form?: string; json?: unknown }, signal?: AbortSignal) {
    const response = await restRequest({
      provider: 'exotel',
      url,
      headers: { authorization: basicAuth(this.apiKey, this.apiToken) },
      ...body,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyExotelError,
    });
    return isRecord(response.body) ? response.body : {};
  }
}

function classifyExotelError(status: number, body: unknown, fallback: string) {
  const inner = isRecord(body) && isRecord(body.RestException) ? body.RestException : body;
  const message = isRecord(inner) && typeof inner.Message === 'string' ? inner.Message : fallback;
  if (status === 401 || status === 403) return new AuthenticationError('exotel', message, status);
  if (status === 429) return new RateLimitError('exotel', message);
  if (status >= 500) return undefined;
  return new ExotelError(message, status);
}
