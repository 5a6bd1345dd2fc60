/**
 * Webhooks in a framework-neutral shape: what a vendor sent (method, path, headers, the raw
 * bytes a signature covers) and what we answer. Node's http server, Express or a serverless
 * handler all adapt to these two types, so signature checks never depend on a framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RoomKitError } from '../../core/errors.js';

export interface WebhookRequest {
  method: string;
  /** Path and query as received, e.g. `/webhooks/sms?ref=abc`. */
  url: string;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  /** The exact bytes received: signatures are computed over these, never over re-serialised JSON. */
  rawBody: Buffer;
  /**
   * The full public URL the vendor called (scheme, host, path, query). URL-signing schemes
   * (Twilio) need it; behind a proxy it differs from what the socket saw.
   */
  publicUrl?: string;
}

export interface WebhookResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type WebhookRejection =
  | 'missing_signature'
  | 'bad_signature'
  | 'stale'
  | 'replayed'
  | 'not_configured'
  | 'unsupported';

/** A webhook that failed authentication: answered 403, nothing stored. */
export class WebhookAuthError extends RoomKitError {
  readonly reason: WebhookRejection;
  readonly provider: string;

  constructor(provider: string, reason: WebhookRejection, detail?: string) {
    super(`${provider} webhook rejected: ${reason}${detail ? ` (${detail})` : ''}`, {
      code: 'webhook_rejected',
    });
    this.provider = provider;
    this.reason = reason;
  }
}

/** A signed webhook whose body is not what the vendor documents: answered 400. */
export class WebhookPayloadError extends RoomKitError {
  constructor(provider: string, detail: string, cause?: unknown) {
    super(`${provider} webhook payload invalid: ${detail}`, { code: 'webhook_payload_invalid', cause });
  }
}

/** A verified JSON webhook body; anything else is a WebhookPayloadError (400). */
export function parseJsonBody(provider: string, raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new WebhookPayloadError(provider, 'body is not JSON', error);
  }
}

export const DEFAULT_WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

/** Read a Node request into a WebhookRequest, refusing bodies over `maxBytes`. */
export async function readWebhookRequest(
  req: IncomingMessage,
  opts: { maxBytes?: number; publicBaseUrl?: string; trustProxy?: boolean } = {},
): Promise<WebhookRequest> {
  const maxBytes = opts.maxBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new WebhookPayloadError('http', `body larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const url = req.url ?? '/';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    headers,
    rawBody: Buffer.concat(chunks),
    publicUrl: publicUrlOf(url, headers, opts),
  };
}

/**
 * The URL the vendor called: the configured public base wins (the only reliable answer behind
 * a proxy); else forwarded headers when the proxy is trusted; else the Host header.
 */
export function publicUrlOf(
  url: string,
  headers: Record<string, string | undefined>,
  opts: { publicBaseUrl?: string; trustProxy?: boolean } = {},
): string {
  if (opts.publicBaseUrl) return opts.publicBaseUrl.replace(/\/+$/, '') + url;
  const proto = (opts.trustProxy && headers['x-forwarded-proto']?.split(',')[0]?.trim()) || 'http';
  const host = (opts.trustProxy && headers['x-forwarded-host']?.split(',')[0]?.trim()) || headers.host;
  return `${proto}://${host ?? 'localhost'}${url}`;
}

export function writeWebhookResponse(res: ServerResponse, response: WebhookResponse): void {
  const body = response.body ?? '';
  res.writeHead(response.status, {
    'content-type': 'text/plain; charset=utf-8',
    ...response.headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** The answer for a request that failed: 403 for authentication, 400 for a bad body, 500 else. */
export function webhookErrorResponse(error: unknown): WebhookResponse {
  if (error instanceof WebhookAuthError) return { status: 403, body: 'forbidden' };
  if (error instanceof WebhookPayloadError) return { status: 400, body: 'bad request' };
  return { status: 500, body: 'internal error' };
}

export function headerValue(req: WebhookRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
}

export function queryParams(req: WebhookRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : req.url.slice(q + 1));
}
