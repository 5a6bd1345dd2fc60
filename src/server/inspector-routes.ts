import type { IncomingMessage, ServerResponse } from 'node:http';
import { AIChannel } from '../channels/ai-channel.js';
import type { RoomKit } from '../core/roomkit.js';
import { Access, type ChannelBinding, type Room, RoomStatus, type Visibility } from '../models/index.js';
import { type Identity, mayAccess } from './auth/tokens.js';
import { HttpError, json, readJsonObject } from './http-util.js';
import type { VoiceFeed } from './voice-feed.js';

export interface InspectorContext {
  kit: RoomKit;
  /** The channel the console's clients use (`web`): display names are set for it. */
  viewChannelId: string;
  voice?: VoiceFeed;
}

const ACCESS: ReadonlySet<string> = new Set(Object.values(Access));
const NAMED_VISIBILITY: ReadonlySet<string> = new Set(['all', 'none', 'transport', 'intelligence']);
const CHANNEL_ID = /^[\w.:-]{1,100}$/;
const STATUS: Record<string, RoomStatus> = {
  active: RoomStatus.ACTIVE,
  paused: RoomStatus.PAUSED,
  closed: RoomStatus.CLOSED,
};

/**
 * The console's inspector API, under /api/rooms/:id (the caller has a valid token; every
 * route checks the room against its scope):
 *
 *   GET   /api/rooms/:id/inspect                 room, bindings, participants, live voice sessions
 *   GET   /api/rooms/:id/traces?since=N          recent events' hook decisions and deliveries
 *   GET   /api/rooms/:id/events/:eventId/trace   one event's trace (404 once it is no longer kept)
 *   POST  /api/rooms/:id/stop                    stop the replies being generated in the room
 *   PUT   /api/rooms/:id/participants/me         { displayName }: how the caller is shown
 *   PATCH /api/rooms/:id/channels/:channelId     { muted?, access?, visibility? }   ('*' tokens)
 *   POST  /api/rooms/:id/status                  { status: active | paused | closed } ('*' tokens)
 *
 * Changing who may speak or hear in a room, and closing it, are operator actions: a token
 * scoped to some rooms may read and talk there, not rewire them. Returns false for other paths.
 */
export async function handleInspector(
  req: IncomingMessage,
  res: ServerResponse,
  parts: readonly string[],
  me: Identity,
  ctx: InspectorContext,
): Promise<boolean> {
  // parts: ['rooms', roomId, ...rest]
  if (parts[0] !== 'rooms' || parts.length < 3) return false;
  const rest = parts.slice(2).join('/');
  const route = ROUTES.find((r) => r.method === req.method && r.path.test(rest));
  if (!route) return false;
  const roomId = decode(parts[1]!);
  if (!mayAccess(me, roomId)) throw new HttpError(403, 'forbidden', `not allowed in room ${roomId}`);
  const room = await ctx.kit.getRoom(roomId);
  if (!room) throw new HttpError(404, 'room_not_found', `no room ${roomId}`);
  const param = route.path.exec(rest)?.[1];
  await route.handle({ req, res, me, ctx, room, roomId, param: param === undefined ? '' : decode(param) });
  return true;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  me: Identity;
  ctx: InspectorContext;
  room: Room;
  roomId: string;
  /** The path's one parameter (event id, channel id), decoded. */
  param: string;
}

const ROUTES: { method: string; path: RegExp; handle(call: Call): Promise<void> }[] = [
  {
    method: 'GET',
    path: /^inspect$/,
    async handle({ res, ctx: { kit, voice }, room, roomId }) {
      const [bindings, participants] = await Promise.all([
        kit.listBindings(roomId),
        kit.listParticipants(roomId),
      ]);
      json(res, 200, {
        room,
        bindings: bindings.map(bindingView),
        participants: participants.map(({ metadata: _metadata, ...p }) => p),
        voice: voice?.sessionsIn(roomId) ?? [],
        generating: aiChannels(kit).reduce((n, ai) => n + ai.generatingIn(roomId), 0),
        tracesKept: kit.eventTraces !== undefined,
      });
    },
  },
  {
    method: 'GET',
    path: /^traces$/,
    async handle({ req, res, ctx: { kit }, roomId }) {
      const since = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('since') ?? 0);
      json(res, 200, { traces: kit.eventTraces?.list(roomId, Number.isFinite(since) ? since : 0) ?? [] });
    },
  },
  {
    method: 'GET',
    path: /^events\/([^/]+)\/trace$/,
    async handle({ res, ctx: { kit }, roomId, param }) {
      const trace = kit.eventTraces?.get(roomId, param);
      if (!trace)
        throw new HttpError(404, 'not_found', 'no trace kept for this event (only recent ones are)');
      json(res, 200, { trace });
    },
  },
  {
    method: 'POST',
    path: /^stop$/,
    async handle({ res, ctx: { kit }, roomId }) {
      json(res, 200, { stopped: aiChannels(kit).reduce((n, ai) => n + ai.stop(roomId), 0) });
    },
  },
  {
    method: 'PUT',
    path: /^participants\/me$/,
    async handle({ req, res, me, ctx, roomId }) {
      const displayName = displayNameOf((await readJsonObject(req)).displayName);
      const { metadata: _metadata, ...participant } = await ctx.kit.addParticipant(roomId, {
        id: me.userId,
        displayName,
        channelId: ctx.viewChannelId,
      });
      json(res, 200, { participant });
    },
  },
  {
    method: 'PATCH',
    path: /^channels\/([^/]+)$/,
    async handle({ req, res, me, ctx: { kit }, roomId, param }) {
      operatorOnly(me);
      if (!CHANNEL_ID.test(param)) throw new HttpError(400, 'invalid_request', 'malformed channel id');
      const binding = await patchBinding(kit, roomId, param, await readJsonObject(req));
      json(res, 200, { binding: bindingView(binding) });
    },
  },
  {
    method: 'POST',
    path: /^status$/,
    async handle({ req, res, me, ctx: { kit }, roomId }) {
      operatorOnly(me);
      const wanted = (await readJsonObject(req)).status;
      const status = typeof wanted === 'string' ? STATUS[wanted] : undefined;
      if (!status) throw new HttpError(400, 'invalid_request', 'status: active, paused or closed');
      await kit.rooms.setStatus(roomId, status);
      json(res, 200, { room: await kit.getRoom(roomId) });
    },
  },
];

/** Apply `{ muted?, access?, visibility? }` (all checked first, so a bad field changes nothing). */
async function patchBinding(
  kit: RoomKit,
  roomId: string,
  channelId: string,
  body: Record<string, unknown>,
): Promise<ChannelBinding> {
  const current = await kit.getBinding(roomId, channelId);
  if (!current) throw new HttpError(404, 'not_found', `channel ${channelId} is not attached to ${roomId}`);
  const unknown = Object.keys(body).filter((k) => !['muted', 'access', 'visibility'].includes(k));
  if (unknown.length) throw new HttpError(400, 'invalid_request', `unknown field: ${unknown[0]}`);
  const { muted, access, visibility } = body;
  if (muted !== undefined && typeof muted !== 'boolean')
    throw new HttpError(400, 'invalid_request', 'muted must be true or false');
  if (access !== undefined && (typeof access !== 'string' || !ACCESS.has(access)))
    throw new HttpError(400, 'invalid_request', `access: one of ${[...ACCESS].join(', ')}`);
  const seen = visibility === undefined ? undefined : visibilityOf(visibility);
  let binding = current;
  if (muted !== undefined && muted !== binding.muted)
    binding = muted ? await kit.mute(roomId, channelId) : await kit.unmute(roomId, channelId);
  if (access !== undefined && access !== binding.access)
    binding = await kit.setAccess(roomId, channelId, access as Access);
  if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(binding.visibility))
    binding = await kit.setVisibility(roomId, channelId, seen);
  return binding;
}

function visibilityOf(value: unknown): Visibility {
  if (typeof value === 'string' && NAMED_VISIBILITY.has(value)) return value;
  if (
    Array.isArray(value) &&
    value.length <= 50 &&
    value.every((id) => typeof id === 'string' && CHANNEL_ID.test(id))
  )
    return value as string[];
  throw new HttpError(
    400,
    'invalid_request',
    'visibility: all, none, transport, intelligence, or a list of channel ids',
  );
}

function displayNameOf(value: unknown): string {
  const name = typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
  // Letters, marks, numbers, punctuation and spaces; no control or format characters.
  if (!name || name.length > 60 || !/^[\p{L}\p{M}\p{N}\p{P}\p{Zs}\p{S}]+$/u.test(name))
    throw new HttpError(400, 'invalid_request', 'displayName: 1-60 printable characters');
  return name;
}

function bindingView(b: ChannelBinding) {
  return {
    channelId: b.channelId,
    channelType: b.channelType,
    category: b.category,
    access: b.access,
    muted: b.muted,
    visibility: b.visibility,
    participantId: b.participantId,
    attachedAt: b.attachedAt,
  };
}

function aiChannels(kit: RoomKit): AIChannel[] {
  return kit.listChannels().filter((c): c is AIChannel => c instanceof AIChannel);
}

function operatorOnly(me: Identity): void {
  if (me.rooms !== '*')
    throw new HttpError(403, 'forbidden', 'changing channels and room status needs a token for every room');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_request', 'malformed percent-encoding in the path');
  }
}
