import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFrame, readHistoryPage } from '../channels/websocket/history.js';
import type { RoomKit } from '../core/roomkit.js';
import type { RoomTimers } from '../models/index.js';
import { type Identity, mayAccess, ROOM_ID } from './auth/tokens.js';
import { HttpError, json, readJsonObject, sendError } from './http-util.js';
import { handleInspector, type InspectorContext } from './inspector-routes.js';
import { redactUrl } from '../core/ws-upgrade.js';

/** The console's files: `web/` at the package root (same relative path from src/ and dist/). */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface RouteContext {
  kit: RoomKit;
  info: object;
  /** Creates a room wired with the server's channels. */
  createRoom(roomId?: string, timers?: RoomTimers): Promise<unknown>;
  /** The channel whose view of a room the API shows (the WebSocket channel's). */
  viewChannelId: string;
  /** The console's inspector routes (room details, traces, channel changes, stop). */
  inspector?: InspectorContext;
  identify(req: IncomingMessage, url: URL): Promise<Identity | undefined>;
}

/**
 * The JSON API under /api and the console's static files. The console's files are public;
 * every /api route needs a token and checks the identity's room scope. Errors are typed:
 * `{ error: <message>, code: <code> }` with a 4xx status.
 */
export async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: RouteContext,
): Promise<void> {
  const path = url.pathname;
  if (path.startsWith('/api/') || path === '/api') {
    const identity = await ctx.identify(req, url);
    if (!identity) {
      ctx.kit.logger.info(
        { method: req.method, path: redactUrl(req.url) },
        'refused an API request without a valid token',
      );
      return sendError(res, new HttpError(401, 'unauthorized', 'a valid token is required'));
    }
    return api(req, res, url, identity, ctx);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendError(res, new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here`));
  }
  const file = normalize(path === '/' ? 'index.html' : path.slice(1));
  if (file.startsWith('..') || file.includes('\0') || !TYPES[extname(file)]) return notFound(res);
  try {
    const body = await readFile(join(WEB_ROOT, file));
    res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-cache' }).end(body);
  } catch {
    notFound(res);
  }
}

async function api(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  me: Identity,
  ctx: RouteContext,
): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  if (parts[0] === 'info' && parts.length === 1) {
    if (req.method !== 'GET') return methodNotAllowed(res, req);
    return json(res, 200, { ...ctx.info, me: { userId: me.userId, rooms: me.rooms } });
  }
  if (parts[0] === 'cluster' && parts.length === 1) {
    // Which rooms this process owns in its cluster (operators, and the cluster tests).
    if (req.method !== 'GET') return methodNotAllowed(res, req);
    if (me.rooms !== '*')
      return sendError(res, new HttpError(403, 'forbidden', 'needs a token for every room'));
    const node = ctx.kit.cluster;
    return json(res, 200, { processId: node?.id ?? null, ownedRooms: node?.ownedRooms() ?? [] });
  }
  if (ctx.inspector && (await handleInspector(req, res, parts, me, ctx.inspector))) return;
  if (parts[0] !== 'rooms') return notFound(res);
  if (parts.length === 1 && req.method === 'GET') {
    const limit = intParam(url, 'limit', 100, 1, 1000);
    const rooms =
      me.rooms === '*'
        ? await ctx.kit.listRooms({ limit })
        : (await Promise.all(me.rooms.slice(0, limit).map((id) => ctx.kit.getRoom(id)))).filter(Boolean);
    return json(res, 200, { rooms });
  }
  if (parts.length === 1 && req.method === 'POST') {
    if (me.rooms !== '*') {
      return sendError(res, new HttpError(403, 'forbidden', 'this token may not create rooms'));
    }
    const body = await readJsonObject(req);
    const raw = body.roomId;
    if (raw !== undefined && typeof raw !== 'string') {
      return sendError(res, new HttpError(400, 'invalid_request', 'roomId must be a string'));
    }
    const roomId = raw?.trim() || undefined;
    if (roomId && !ROOM_ID.test(roomId)) {
      return sendError(
        res,
        new HttpError(400, 'invalid_request', 'roomId: 1-100 letters, digits, _ . - only'),
      );
    }
    const timers = roomTimersOf(body.timers);
    if (roomId && (await ctx.kit.getRoom(roomId))) {
      return sendError(res, new HttpError(409, 'room_exists', `room exists: ${roomId}`));
    }
    return json(res, 201, { room: await ctx.createRoom(roomId, timers) });
  }
  if (parts.length === 3 && parts[2] === 'events' && req.method === 'GET') {
    const roomId = decodeSegment(parts[1]!);
    if (!mayAccess(me, roomId)) {
      return sendError(res, new HttpError(403, 'forbidden', `not allowed in room ${roomId}`));
    }
    const binding = (await ctx.kit.getRoom(roomId)) && (await ctx.kit.getBinding(roomId, ctx.viewChannelId));
    if (!binding) return sendError(res, new HttpError(404, 'room_not_found', `no room ${roomId}`));
    const before = url.searchParams.get('beforeIndex');
    const page = await readHistoryPage(
      ctx.kit.store,
      roomId,
      binding,
      me.userId,
      {
        limit: intParam(url, 'limit', 50, 1, 500),
        beforeIndex:
          before === null ? undefined : intParam(url, 'beforeIndex', 0, 0, Number.MAX_SAFE_INTEGER),
      },
      // The same page budget as the WebSocket channel: a request for 500 large events costs 256 KiB.
      { maxEvents: 500, maxBytes: 256 * 1024 },
    );
    // The same page shape as the WebSocket `history` frame, minus its `type`.
    const body = historyFrame('history', { roomId }, page).replace(/^\{"type":"history",/, '{');
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  if (parts[0] === 'rooms' && parts.length <= 3) return methodNotAllowed(res, req);
  return notFound(res);
}

const MAX_TIMER_MS = 30 * 24 * 3600_000;

/** `timers: { inactiveAfterMs?, closeAfterMs? }` of POST /api/rooms: whole milliseconds, 1 s to 30 days. */
function roomTimersOf(raw: unknown): RoomTimers | undefined {
  if (raw === undefined) return undefined;
  const bad = () =>
    new HttpError(
      400,
      'invalid_request',
      'timers: { inactiveAfterMs?, closeAfterMs? } in ms, 1000 to 30 days',
    );
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad();
  const timers: RoomTimers = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== 'inactiveAfterMs' && key !== 'closeAfterMs') throw bad();
    if (!Number.isInteger(value) || (value as number) < 1000 || (value as number) > MAX_TIMER_MS) throw bad();
    timers[key] = value as number;
  }
  return timers;
}

function notFound(res: ServerResponse): void {
  sendError(res, new HttpError(404, 'not_found', 'not found'));
}

function methodNotAllowed(res: ServerResponse, req: IncomingMessage): void {
  sendError(res, new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here`));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_request', 'malformed percent-encoding in the path');
  }
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (!/^\d{1,16}$/.test(value))
    throw new HttpError(400, 'invalid_request', `${name} must be a non-negative integer`);
  return Math.min(max, Math.max(min, Number(value)));
}
