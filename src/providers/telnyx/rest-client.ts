/**
 * Telnyx API v2: Bearer API key, JSON both ways, errors as `{ errors: [{ code, title, detail }] }`.
 * Shared by everything Telnyx: messaging here, call control for the media-stream backend.
 */
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { restDownload, restRequest } from '../shared/rest-request.js';

export const TELNYX_API_BASE_URL = 'https://api.telnyx.com';

export interface TelnyxCredentials {
  /** Default `TELNYX_API_KEY`. */
  apiKey?: string;
  /** API origin (default `TELNYX_API_BASE_URL`, else the vendor's): tests and gateways point it elsewhere. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

/** A Telnyx API error with Telnyx's code (10004 invalid parameter, 40300 blocked by STOP...). */
export class TelnyxError extends ProviderError {
  readonly telnyxCode?: string;
  constructor(message: string, status: number, telnyxCode?: string) {
    super('telnyx', telnyxCode ? `${message} (${telnyxCode})` : message, {
      code: telnyxCode ? `telnyx_${telnyxCode}` : 'provider_error',
      status,
    });
    this.telnyxCode = telnyxCode;
  }
}

export class TelnyxRestClient {
  private readonly apiKey: string;
  readonly baseUrl: string;

  constructor(private readonly opts: TelnyxCredentials = {}) {
    const apiKey = opts.apiKey ?? process.env.TELNYX_API_KEY;
    if (!apiKey) throw new AuthenticationError('telnyx', 'no API key: pass apiKey or set TELNYX_API_KEY');
    this.apiKey = apiKey;
    this.baseUrl = (opts.baseUrl ?? process.env.TELNYX_API_BASE_URL ?? TELNYX_API_BASE_URL).replace(
      /\/+$/,
      '',
    );
  }

  /** `POST /v2/<path>` with a JSON body; resolves with the answer's `data`. */
  async post(path: string, json: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const response = await restRequest({
      provider: 'telnyx',
      url: `${this.baseUrl}/v2/${path.replace(/^\/+/, '')}`,
      headers: { authorization: `Bearer ${this.apiKey}` },
      json,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyTelnyxError,
    });
    const body = isRecord(response.body) ? response.body : {};
    return isRecord(body.data) ? body.data : {};
  }

  /** Media of an inbound MMS (Telnyx serves it from a signed URL; the key does no harm). */
  download(url: string, signal?: AbortSignal, maxBytes = 20 * 1024 * 1024) {
    return restDownload({
      provider: 'telnyx',
      url,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      maxBytes,
    });
  }
}

function classifyTelnyxError(status: number, body: unknown, fallback: string) {
  const first =
    isRecord(body) && Array.isArray(body.errors) && isRecord(body.errors[0]) ? body.errors[0] : undefined;
  const message = String(first?.detail ?? first?.title ?? fallback);
  const code = first?.code !== undefined ? String(first.code) : undefined;
  if (status === 401 || status === 403) return new AuthenticationError('telnyx', message, status);
  if (status === 429) return new RateLimitError('telnyx', message);
  if (status >= 500) return new ProviderError('telnyx', message, { status, retryable: true, cause: body });
  return new TelnyxError(message, status, code);
}
