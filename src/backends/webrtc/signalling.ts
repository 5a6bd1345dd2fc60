import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { errorMessage, ValidationError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { upgradeToken } from '../../core/ws-upgrade.js';
import { VOICE_RETRY_AFTER_S } from '../../voice/admission.js';
import type { VoiceAuthResult } from '../../voice/backends/websocket-voice-connection.js';
import { interceptRequests, type RequestHandler } from './http-mount.js';
import type { WebRTCVoiceBackend } from './webrtc-voice-backend.js';
import { CandidatesBody, OfferBody, WebRTCSignallingError } from './webrtc-protocol.js';

/** What a signalling request is about, for room-level authorization. */
export interface WebRTCAuthRequest {
  method: string;
  /** The room the offer asks for (POST only). */
  roomId?: string;
  /** The connection a PATCH/DELETE targets. */
  connectionId?: string;
}

/**
 * Who may call: the token comes from `Authorization: Bearer` or `?token=`. Return the user
 * (with `roomId` to confine them to one room), or null to refuse with 401. The third argument
 * names the room an offer asks for, so a callback can authorize per room.
 */
export type WebRTCAuthenticate = (
  req: IncomingMessage,
  token: string | undefined,
  request: WebRTCAuthRequest,
) => Promise<VoiceAuthResult | null | undefined> | VoiceAuthResult | null | undefined;

export interface MountWebRTCOptions {
  /** Required: signalling is never open by accident. `() => ({ userId: 'guest' })` opens it on purpose. */
  authenticate: WebRTCAuthenticate;
  /** Base path (default '/rtc'). */
  path?: string;
  /** Largest request body (default 128 KiB; an SDP offer is a few KiB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

/**
 * A request handler for Express/Connect-style apps: false for requests it does not own, else a
 * promise that settles once the request is answered (`(req, res, next) => handler(req, res) || next()`).
 */
export type WebRTCRequestHandler = RequestHandler;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The HTTP side of WebRTC signalling for a backend: GET ice servers, POST an offer (201 with
 * the answer and a Location), PATCH trickled candidates, DELETE to hang up. Every refusal is
 * a typed JSON error with a 4xx status; nothing a client sends can throw out of here.
 */
export function createWebRTCHandler(
  backend: WebRTCVoiceBackend,
  options: MountWebRTCOptions,
): WebRTCRequestHandler {
  if (typeof options?.authenticate !== 'function') {
    throw new ValidationError(
      'mountWebRTC needs `authenticate` (to open signalling to anyone, pass () => ({ userId: "guest" }))',
    );
  }
  const base = (options.path ?? '/rtc').replace(/\/+$/, '') || '/';
  const logger = options.logger ?? createLogger('roomkit.backends.webrtc');
  const maxBody = options.maxBodyBytes ?? 128 * 1024;
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false; // a malformed target is not ours to answer
    }
    let connectionId: string | undefined;
    if (url.pathname !== base) {
      if (!url.pathname.startsWith(`${base}/`)) return false;
      connectionId = url.pathname.slice(base.length + 1);
      if (connectionId.includes('/')) return false;
    }
    const ctx = { backend, options, maxBody, url, connectionId };
    return route(req, res, ctx).catch((error) => {
      const typed =
        error instanceof WebRTCSignallingError
          ? error
          : new WebRTCSignallingError('internal', 'internal error', error);
      if (typed.status >= 500)
        logger.error({ err: errorMessage(error), path: url.pathname }, 'webrtc signalling failed');
      else logger.debug({ code: typed.reason, msg: typed.message }, 'webrtc signalling refused');
      reply(res, typed.status, { error: { code: typed.reason, message: typed.message } }, typed.reason);
    });
  };
}

/** Serve WebRTC signalling on `options.path` of any Node HTTP server (and `roomkit serve`). */
export function mountWebRTC(
  server: Server,
  backend: WebRTCVoiceBackend,
  options: MountWebRTCOptions,
): () => void {
  return interceptRequests(server, createWebRTCHandler(backend, options));
}

interface RouteContext {
  backend: WebRTCVoiceBackend;
  options: MountWebRTCOptions;
  maxBody: number;
  url: URL;
  connectionId?: string;
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const { backend, connectionId } = ctx;
  const method = req.method ?? 'GET';
  if (connectionId !== undefined && !ID.test(connectionId)) {
    throw new WebRTCSignallingError('not_found', 'no such connection');
  }
  const allowed = connectionId === undefined ? ['GET', 'POST'] : ['PATCH', 'DELETE'];
  if (!allowed.includes(method)) {
    res.setHeader('allow', allowed.join(', '));
    throw new WebRTCSignallingError('method_not_allowed', `${method} is not supported here`);
  }
  if (method === 'GET') {
    const auth = await authenticate(req, ctx, { method });
    return reply(res, 200, { iceServers: await backend.clientIceServers(auth) });
  }
  if (method === 'DELETE') {
    const auth = await authenticate(req, ctx, { method, connectionId });
    await backend.hangUp(connectionId!, auth);
    return reply(res, 204);
  }
  const body = await readJson(req, ctx.maxBody);
  if (method === 'POST') {
    const offer = validate(OfferBody, body);
    const auth = await authenticate(req, ctx, { method, roomId: offer.roomId });
    const answer = await backend.offer(offer, auth);
    res.setHeader('location', `${ctx.url.pathname.replace(/\/$/, '')}/${answer.connectionId}`);
    return reply(res, 201, answer);
  }
  const { candidates } = validate(CandidatesBody, body);
  const auth = await authenticate(req, ctx, { method, connectionId });
  await backend.addCandidates(connectionId!, candidates, auth);
  reply(res, 204);
}

async function authenticate(
  req: IncomingMessage,
  ctx: RouteContext,
  request: WebRTCAuthRequest,
): Promise<VoiceAuthResult> {
  let auth: VoiceAuthResult | null | undefined;
  try {
    auth = await ctx.options.authenticate(req, upgradeToken(req, ctx.url), request);
  } catch (error) {
    // A throwing callback is a refusal, never an open door.
    throw new WebRTCSignallingError('unauthorized', 'not authenticated', error);
  }
  if (!auth || typeof auth.userId !== 'string' || !auth.userId) {
    throw new WebRTCSignallingError('unauthorized', 'not authenticated');
  }
  return auth;
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // JSON only: also keeps cross-site HTML forms (which cannot send it) from posting offers.
  if (type !== 'application/json') {
    req.resume();
    throw new WebRTCSignallingError('unsupported_media_type', 'send application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    throw new WebRTCSignallingError('too_large', `request body over ${maxBytes} bytes`);
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    // Listeners, not for-await: leaving a for-await early destroys the socket before we can
    // answer 413. Past the limit the rest is discarded and the reply closes the connection.
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= maxBytes) chunks.push(chunk);
      else if (!over) {
        over = true;
        chunks.length = 0;
        reject(new WebRTCSignallingError('too_large', `request body over ${maxBytes} bytes`));
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
  try {
    return JSON.parse(text);
  } catch {
    throw new WebRTCSignallingError('invalid_json', 'the body is not valid JSON');
  }
}

function validate<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new WebRTCSignallingError(
    'invalid_request',
    `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
  );
}

function reply(res: ServerResponse, status: number, body?: unknown, errorCode?: string): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  if (status === 413) headers.connection = 'close';
  // Full (too many calls, or past the server's voice limits): try again shortly, or elsewhere.
  if (status === 503) headers['retry-after'] = String(VOICE_RETRY_AFTER_S);
  if (errorCode) headers['x-roomkit-error'] = errorCode;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  headers['content-type'] = 'application/json';
  res.writeHead(status, headers).end(JSON.stringify(body));
}
