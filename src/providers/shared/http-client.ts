/**
 * The one way vendor providers talk HTTP: POST JSON with fetch, typed errors naming the
 * provider, AbortSignal honoured from the request to the last byte of a stream.
 */
import type { z } from 'zod';
import { AuthenticationError, RoomKitError } from '../../core/errors.js';
import { type ErrorClassifier, errorFromResponse, networkError } from './http-errors.js';
import { parseJSONPayload, validateResponse } from './response-validation.js';
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

/** POST JSON; parse and validate the JSON answer against `schema`. */
export async function postForJSON<S extends z.ZodType>(
  opts: PostJSONOptions,
  schema: S,
): Promise<z.output<S>> {
  const response = await postJSON(opts);
  const text = await readText(opts.provider, response, opts.signal);
  return validateResponse(
    opts.provider,
    schema,
    parseJSONPayload(opts.provider, text, 'response'),
    'response',
  );
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
