/**
 * The one way vendor providers talk HTTP: POST JSON with fetch, typed errors naming the
 * provider, AbortSignal honoured from the request to the last byte of a stream.
 */
import { AuthenticationError, RoomKitError } from '../../core/errors.js';
import { type ErrorClassifier, errorFromResponse, networkError } from './http-errors.js';
import { parseSSE, type SSEMessage } from './sse-parser.js';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface PostJSONOptions {
  /** Vendor name for error messages, e.g. 'anthropic'. */
  provider: string;
  url: string;
  headers?: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
  /** Injected fetch (proxies, instrumentation); the global one by default. */
  fetch?: FetchLike;
  classifyError?: ErrorClassifier;
}

/** POST JSON; resolves with the ok Response, rejects with a typed error otherwise. */
export async function postJSON(opts: PostJSONOptions): Promise<Response> {
  const { provider, signal } = opts;
  signal?.throwIfAborted();
  let response: Response;
  try {
    response = await (opts.fetch ?? fetch)(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(opts.body),
      signal,
    });
  } catch (err) {
    signal?.throwIfAborted();
    throw networkError(provider, err);
  }
  if (response.ok) return response;
  const text = await readText(provider, response, signal);
  throw errorFromResponse(
    provider,
    { status: response.status, headers: response.headers, body: parseMaybeJSON(text) },
    opts.classifyError,
  );
}

/** POST JSON and parse the JSON answer. */
export async function postForJSON<T>(opts: PostJSONOptions): Promise<T> {
  const response = await postJSON(opts);
  const text = await readText(opts.provider, response, opts.signal);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new RoomKitError(`${opts.provider}: response is not JSON: ${text.slice(0, 200)}`, {
      code: 'invalid_response',
      retryable: true,
      cause: err,
    });
  }
}

/** POST JSON and iterate the server-sent events of the answer. */
export async function* postForSSE(opts: PostJSONOptions): AsyncGenerator<SSEMessage> {
  const response = await postJSON(opts);
  if (!response.body) throw networkError(opts.provider, new Error('response has no body'));
  try {
    yield* parseSSE(response.body, opts.signal);
  } catch (err) {
    opts.signal?.throwIfAborted();
    throw err instanceof RoomKitError ? err : networkError(opts.provider, err);
  }
}

/** Parse one SSE data payload as JSON, with an error that names the vendor when it is not. */
export function parseEventJSON<T>(provider: string, data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch (err) {
    throw new RoomKitError(`${provider}: malformed stream event: ${data.slice(0, 200)}`, {
      code: 'invalid_response',
      retryable: true,
      cause: err,
    });
  }
}

/** A key is checked per request, not at construction, so a kit can be built before keys exist. */
export function requireApiKey(provider: string, apiKey: string | undefined, envVar: string): string {
  if (apiKey) return apiKey;
  throw new AuthenticationError(provider, `no API key: pass apiKey or set ${envVar}`);
}

/** Join a base URL and a path without doubling or dropping the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

async function readText(provider: string, response: Response, signal?: AbortSignal): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    signal?.throwIfAborted();
    throw networkError(provider, err);
  }
}

function parseMaybeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
