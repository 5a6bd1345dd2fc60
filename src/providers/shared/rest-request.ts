/**
 * One REST call to a carrier or messaging API: form or JSON body, a deadline, typed errors
 * (`ProviderError` with the vendor's status and code, retryable on 5xx/429/network), and the
 * parsed answer. The carriers' REST clients are thin layers over it.
 */
import { TimeoutError } from '../../core/errors.js';
import type { FetchLike } from './http-client.js';
import { type ErrorClassifier, errorFromResponse, networkError } from './http-errors.js';

export interface RestRequestOptions {
  provider: string;
  method?: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: string;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is (set the content-type header yourself): multipart uploads. */
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Deadline for the whole exchange (default 15 s). */
  timeoutMs?: number;
  fetch?: FetchLike;
  classifyError?: ErrorClassifier;
}

export interface RestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer was JSON, else the text. */
  body: unknown;
}

export const DEFAULT_REST_TIMEOUT_MS = 15_000;

export async function restRequest(opts: RestRequestOptions): Promise<RestResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | Buffer | undefined = opts.body;
  if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = opts.form;
  } else if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  let response: Response;
  let text: string;
  try {
    response = await (opts.fetch ?? fetch)(opts.url, {
      method: opts.method ?? 'POST',
      headers,
      body,
      signal,
    });
    text = await response.text();
  } catch (err) {
    opts.signal?.throwIfAborted();
    if (deadline.aborted)
      throw new TimeoutError(`${opts.provider} ${opts.method ?? 'POST'} ${pathOf(opts.url)}`, timeoutMs);
    throw networkError(opts.provider, err);
  }
  const parsed = parseMaybeJSON(text);
  if (!response.ok) {
    throw errorFromResponse(
      opts.provider,
      { status: response.status, headers: response.headers, body: parsed },
      opts.classifyError,
    );
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Download bytes (inbound MMS/WhatsApp media) with the same deadline and error rules. */
export async function restDownload(
  opts: Omit<RestRequestOptions, 'form' | 'json' | 'body' | 'method'> & { maxBytes?: number },
): Promise<{ data: Buffer; contentType: string }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const fail = (err: unknown): never => {
    opts.signal?.throwIfAborted();
    if (deadline.aborted) throw new TimeoutError(`${opts.provider} media download`, timeoutMs);
    throw networkError(opts.provider, err);
  };
  const response = await (opts.fetch ?? fetch)(opts.url, {
    method: 'GET',
    headers: opts.headers,
    signal,
  }).catch(fail);
  const tooLarge = () =>
    errorFromResponse(opts.provider, {
      status: 413,
      headers: response.headers,
      body: `media larger than ${opts.maxBytes} bytes`,
    });
  if (opts.maxBytes && Number(response.headers.get('content-length') ?? 0) > opts.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const data = Buffer.from(await response.arrayBuffer().catch(fail));
  if (!response.ok) {
    throw errorFromResponse(opts.provider, {
      status: response.status,
      headers: response.headers,
      body: parseMaybeJSON(data.toString('utf8')),
    });
  }
  if (opts.maxBytes && data.length > opts.maxBytes) throw tooLarge();
  return { data, contentType: response.headers.get('content-type') ?? 'application/octet-stream' };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function parseMaybeJSON(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
