/**
 * The Graph API as the WhatsApp Business Cloud API uses it: Bearer access token, JSON, one
 * phone number id per sending number, errors as `{ error: { message, type, code,
 * error_subcode, error_data: { details }, fbtrace_id } }`.
 */
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import { encodeMultipart } from '../shared/form-body.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { restDownload, restRequest } from '../shared/rest-request.js';

export const GRAPH_API_BASE_URL = 'https://graph.facebook.com';
export const GRAPH_API_VERSION = 'v22.0';

export interface GraphApiOptions {
  /** System-user or user access token (default `WHATSAPP_ACCESS_TOKEN`). */
  accessToken?: string;
  /** The business phone number's id (default `WHATSAPP_PHONE_NUMBER_ID`). */
  phoneNumberId?: string;
  /** Default v22.0. */
  apiVersion?: string;
  /** API origin (default `WHATSAPP_API_BASE_URL`, else the vendor's): tests and gateways point it elsewhere. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

/** A Graph API error with Meta's numeric code (131026 undeliverable, 131047 window closed, 190 token...). */
export class GraphApiError extends ProviderError {
  readonly graphCode?: number;
  constructor(message: string, status: number, graphCode?: number, retryable?: boolean) {
    super('whatsapp', graphCode ? `${message} (${graphCode})` : message, {
      code: graphCode ? `whatsapp_${graphCode}` : 'provider_error',
      status,
      retryable,
    });
    this.graphCode = graphCode;
  }
}

export class GraphApiClient {
  readonly phoneNumberId: string;
  readonly baseUrl: string;
  readonly apiVersion: string;
  private readonly accessToken: string;

  constructor(private readonly opts: GraphApiOptions = {}) {
    const accessToken = opts.accessToken ?? process.env.WHATSAPP_ACCESS_TOKEN;
    const phoneNumberId = opts.phoneNumberId ?? process.env.WHATSAPP_PHONE_NUMBER_ID;
    if (!accessToken)
      throw new AuthenticationError(
        'whatsapp',
        'no access token: pass accessToken or set WHATSAPP_ACCESS_TOKEN',
      );
    if (!phoneNumberId) throw new TypeError('whatsapp: pass phoneNumberId or set WHATSAPP_PHONE_NUMBER_ID');
    this.accessToken = accessToken;
    this.phoneNumberId = phoneNumberId;
    this.apiVersion = opts.apiVersion ?? GRAPH_API_VERSION;
    this.baseUrl = (opts.baseUrl ?? process.env.WHATSAPP_API_BASE_URL ?? GRAPH_API_BASE_URL).replace(
      /\/+$/,
      '',
    );
  }

  /** `POST /{version}/{phone-number-id}/messages`. */
  messages(json: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.call('POST', `${this.phoneNumberId}/messages`, json, signal);
  }

  /** Media metadata (`GET /{version}/{media-id}`), then its bytes from the returned URL. */
  async downloadMedia(mediaId: string, signal?: AbortSignal, maxBytes = 100 * 1024 * 1024) {
    const meta = await this.call('GET', encodeURIComponent(mediaId), undefined, signal);
    if (typeof meta.url !== 'string') throw new GraphApiError('media answered without a url', 502);
    const file = await restDownload({
      provider: 'whatsapp',
      url: meta.url,
      headers: { authorization: `Bearer ${this.accessToken}` },
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      maxBytes,
    });
    return {
      data: file.data,
      contentType: typeof meta.mime_type === 'string' ? meta.mime_type : file.contentType,
    };
  }

  /** Upload bytes (`POST /{phone-number-id}/media`, multipart) and return the media id to send. */
  async uploadMedia(
    data: Buffer,
    mimeType: string,
    filename = 'file',
    signal?: AbortSignal,
  ): Promise<string> {
    const { body, contentType } = encodeMultipart({ messaging_product: 'whatsapp', type: mimeType }, [
      { field: 'file', filename, contentType: mimeType, data },
    ]);
    const response = await restRequest({
      provider: 'whatsapp',
      url: this.url(`${this.phoneNumberId}/media`),
      headers: { authorization: `Bearer ${this.accessToken}`, 'content-type': contentType },
      body,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyGraphError,
    });
    const id = isRecord(response.body) ? response.body.id : undefined;
    if (typeof id !== 'string') throw new GraphApiError('upload answered without an id', 502);
    return id;
  }

  private async call(method: 'GET' | 'POST', path: string, json: unknown, signal?: AbortSignal) {
    const response = await restRequest({
      provider: 'whatsapp',
      method,
      url: this.url(path),
      headers: { authorization: `Bearer ${this.accessToken}` },
      json,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyGraphError,
    });
    return isRecord(response.body) ? response.body : {};
  }

  private url(path: string): string {
    return `${this.baseUrl}/${this.apiVersion}/${path}`;
  }
}

/** Throughput and spam limits are retryable (after a pause); everything else 4xx is final. */
const RETRYABLE_CODES = new Set([4, 80007, 130429, 131048, 131056, 133016]);

function classifyGraphError(status: number, body: unknown, fallback: string) {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const details =
    isRecord(error?.error_data) && typeof error.error_data.details === 'string'
      ? error.error_data.details
      : undefined;
  const message = details ?? (typeof error?.message === 'string' ? error.message : fallback);
  if (status === 401 || code === 190) return new AuthenticationError('whatsapp', message, status);
  if (status === 429 || code === 130429 || code === 80007) return new RateLimitError('whatsapp', message);
  if (status >= 500) return new GraphApiError(message, status, code, true);
  return new GraphApiError(message, status, code, code !== undefined && RETRYABLE_CODES.has(code));
}
