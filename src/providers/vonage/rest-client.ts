/**
 * Vonage's Messages API (v1): Basic auth with the API key and secret, or a JWT signed with the
 * application's private key (RS256); JSON both ways; errors as RFC 7807 problems
 * `{ type, title, detail, instance }`. Shared by everything Vonage: messages here, voice calls
 * for the media-stream backend.
 */
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { AuthenticationError, ProviderError, RateLimitError } from '../../core/errors.js';
import type { FetchLike } from '../shared/http-client.js';
import { isRecord } from '../shared/http-errors.js';
import { basicAuth, restDownload, restRequest } from '../shared/rest-request.js';

export const VONAGE_API_BASE_URL = 'https://api.nexmo.com';

export interface VonageCredentials {
  /** Default `VONAGE_API_KEY`. */
  apiKey?: string;
  /** Default `VONAGE_API_SECRET`. */
  apiSecret?: string;
  /** With `privateKey`, requests carry an application JWT instead of Basic auth (default `VONAGE_APPLICATION_ID`). */
  applicationId?: string;
  /** PEM of the application's private key (default `VONAGE_PRIVATE_KEY`). */
  privateKey?: string;
  /** API origin (default `VONAGE_API_BASE_URL`, else the vendor's): tests and gateways point it elsewhere. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: FetchLike;
}

export class VonageError extends ProviderError {
  readonly vonageCode?: string;
  constructor(message: string, status: number, vonageCode?: string) {
    super('vonage', message, { code: vonageCode ? `vonage_${vonageCode}` : 'provider_error', status });
    this.vonageCode = vonageCode;
  }
}

export class VonageRestClient {
  readonly baseUrl: string;
  readonly apiKey?: string;
  private readonly apiSecret?: string;
  private readonly applicationId?: string;
  private readonly privateKey?: string;
  private jwt?: { token: string; expires: number };

  constructor(private readonly opts: VonageCredentials = {}) {
    this.apiKey = opts.apiKey ?? process.env.VONAGE_API_KEY;
    this.apiSecret = opts.apiSecret ?? process.env.VONAGE_API_SECRET;
    this.applicationId = opts.applicationId ?? process.env.VONAGE_APPLICATION_ID;
    this.privateKey = opts.privateKey ?? process.env.VONAGE_PRIVATE_KEY;
    if (!(this.applicationId && this.privateKey) && !(this.apiKey && this.apiSecret)) {
      throw new AuthenticationError(
        'vonage',
        'no credentials: pass apiKey and apiSecret (VONAGE_API_KEY, VONAGE_API_SECRET) or applicationId and privateKey',
      );
    }
    this.baseUrl = (opts.baseUrl ?? process.env.VONAGE_API_BASE_URL ?? VONAGE_API_BASE_URL).replace(
      /\/+$/,
      '',
    );
  }

  async post(path: string, json: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.request('POST', path, json, signal);
  }

  /** Any method (the Voice API updates calls with PUT). */
  async request(
    method: 'POST' | 'PUT' | 'GET',
    path: string,
    json: unknown,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const response = await restRequest({
      provider: 'vonage',
      method,
      url: `${this.baseUrl}/${path.replace(/^\/+/, '')}`,
      headers: { authorization: await this.authorization() },
      json,
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      classifyError: classifyVonageError,
    });
    return isRecord(response.body) ? response.body : {};
  }

  async download(url: string, signal?: AbortSignal, maxBytes = 20 * 1024 * 1024) {
    return restDownload({
      provider: 'vonage',
      url,
      headers: { authorization: await this.authorization() },
      signal,
      timeoutMs: this.opts.timeoutMs,
      fetch: this.opts.fetch,
      maxBytes,
    });
  }

  private async authorization(): Promise<string> {
    if (!(this.applicationId && this.privateKey)) return basicAuth(this.apiKey!, this.apiSecret!);
    const now = Date.now();
    if (this.jwt && this.jwt.expires - now > 60_000) return `Bearer ${this.jwt.token}`;
    const key = await importPKCS8(this.privateKey, 'RS256');
    const token = await new SignJWT({ application_id: this.applicationId })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime('15m')
      .sign(key);
    this.jwt = { token, expires: now + 15 * 60_000 };
    return `Bearer ${token}`;
  }
}

function classifyVonageError(status: number, body: unknown, fallback: string) {
  const problem = isRecord(body) ? body : {};
  const message = String(problem.detail ?? problem.title ?? fallback);
  const code = typeof problem.type === 'string' ? /#(\w+)$/.exec(problem.type)?.[1] : undefined;
  if (status === 401 || status === 403) return new AuthenticationError('vonage', message, status);
  if (status === 429) return new RateLimitError('vonage', message);
  if (status >= 500) return new ProviderError('vonage', message, { status, retryable: true, cause: body });
  return new VonageError(message, status, code);
}
