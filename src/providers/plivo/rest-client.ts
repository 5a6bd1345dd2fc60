/**
 * Plivo's REST API (v1): HTTP Basic auth with the Auth ID and Auth Token, JSON both ways,
 * errors as `{ api_id, error }`. Calls live under `/v1/Account/{auth_id}/Call/`.
 */
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { basicAuth, restRequest } from '../shared/rest-request.js';

export const PLIVO_API_BASE_URL = 'https://api.plivo.com';

export interface PlivoCredentials {
  /** Default `PLIVO_AUTH_ID`. */
  authId?: string;
  /** Default `PLIVO_AUTH_TOKEN`. Also the key Plivo signs webhooks with. */
  authToken?: string;
  /** API origin (default `PLIVO_API_BASE_URL`, else the vendor's). */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

export class PlivoError extends ProviderError {
  constructor(message: string, status: number) {
    super('plivo', message, { code: 'provider_error', status });
  }
}

export class PlivoRestClient {
  readonly authId: string;
  private readonly authToken: string;
  readonly baseUrl: string;

  constructor(private readonly opts: PlivoCredentials = {}) {
    const authId = opts.authId ?? process.env.PLIVO_AUTH_ID;
    const authToken = opts.authToken ?? process.env.PLIVO_AUTH_TOKEN;
    if (!authId || !authToken) {
      throw new AuthenticationError(
        'plivo',
        'no credentials: pass authId and authToken or set PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN',
      );
    }
    this.authId = authId;
    this.authToken = authToken;
    this.baseUrl = (opts.baseUrl ?? process.env.PLIVO_API_BASE_URL ?? PLIVO_API_BASE_URL).replace(/\/+$/, '');
  }

  /** The key Plivo signs requests with (never logged). */
  get signingKey(): string {
    return this.authToken;
  }

  /** `<method> /v1/Account/{auth_id}/<resource>` with a JSON body. */
  async request(
    method: 'GET' | 'POST' | 'DELETE',
    resource: string,
    json?: unknown,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const response = await restRequest({
      provider: 'plivo',
      method,
      url: `${this.baseUrl}/v1/Account/${encodeURIComponent(this.authId)}/${resource.replace(/^\/+/, '')}`,
      headers: { authorization: basicAuth(this.authId, this.authToken) },
      json,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyPlivoError,
    });
    return isRecord(response.body) ? response.body : {};
  }
}

function classifyPlivoError(status: number, body: unknown, fallback: string) {
  const message = isRecord(body) && typeof body.error === 'string' ? body.error : fallback;
  if (status === 401) return new AuthenticationError('plivo', message, status);
  if (status === 429) return new RateLimitError('plivo', message);
  if (status >= 500) return undefined;
  return new PlivoError(message, status);
}
