import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoomKit } from '../core/roomkit.js';

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
  info: Record<string, unknown>;
  /** Creates a room wired with the server's channels. */
  createRoom(roomId?: string): Promise<unknown>;
  token?: string;
}

/** A tiny router: the JSON API under /api, health, and the console's static files. */
export async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/healthz') return json(res, 200, { ok: true });
  if (path.startsWith('/api/')) {
    if (
      ctx.token &&
      req.headers.authorization !== `Bearer ${ctx.token}` &&
      url.searchParams.get('token') !== ctx.token
    ) {
      return json(res, 401, { error: 'unauthorized' });
    }
    return api(req, res, url, ctx);
  }
  if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' });
  const file = normalize(path === '/' ? 'index.html' : path.slice(1));
  if (file.startsWith('..') || !TYPES[extname(file)]) return json(res, 404, { error: 'not found' });
  try {
    const body = await readFile(join(WEB_ROOT, file));
    res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-cache' }).end(body);
  } catch {
    json(res, 404, { error: 'not found' });
  }
}

async function api(req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  if (parts[0] === 'info' && parts.length === 1) return json(res, 200, ctx.info);
  if (parts[0] !== 'rooms') return json(res, 404, { error: 'not found' });
  if (parts.length === 1 && req.method === 'GET') {
    const limit = clampInt(url.searchParams.get('limit'), 100, 1, 1000);
    return json(res, 200, { rooms: await ctx.kit.listRooms({ limit }) });
  }
  if (parts.length === 1 && req.method === 'POST') {
    const body = await readJson(req);
    const roomId = typeof body?.roomId === 'string' && body.roomId.trim() ? body.roomId.trim() : undefined;
    if (roomId && !/^[\w.-]{1,100}$/.test(roomId))
      return json(res, 400, { error: 'roomId: letters, digits, _ . - only' });
    if (roomId && (await ctx.kit.getRoom(roomId))) return json(res, 409, { error: `room exists: ${roomId}` });
    return json(res, 201, { room: await ctx.createRoom(roomId) });
  }
  if (parts.length === 3 && parts[2] === 'events' && req.method === 'GET') {
    const roomId = decodeURIComponent(parts[1]!);
    if (!(await ctx.kit.getRoom(roomId))) return json(res, 404, { error: `no room ${roomId}` });
    const limit = clampInt(url.searchParams.get('limit'), 50, 1, 500);
    const before = url.searchParams.get('beforeIndex');
    const events = await ctx.kit.store.listEvents(roomId, {
      limit,
      direction: 'backward',
      beforeIndex: before === null ? undefined : clampInt(before, 0, 0, Number.MAX_SAFE_INTEGER),
    });
    return json(res, 200, { events });
  }
  return json(res, 404, { error: 'not found' });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<any> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 64 * 1024) return undefined;
  }
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return undefined;
  }
}

function clampInt(value: string | null, fallback: number, min: number, max: number): number {
  const n = value === null ? Number.NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
