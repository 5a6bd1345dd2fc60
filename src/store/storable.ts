import { ValidationError } from '../core/errors.js';
import type { ChannelBinding, Participant, Room, RoomEvent } from '../models/index.js';

/**
 * What a store may hold, checked the same way for every store. Each function validates a record
 * and returns a deep copy made only of JSON values, so:
 * - every store accepts and refuses exactly the same inputs (a store that serialises to JSON and
 *   one that keeps objects in memory would otherwise disagree about cycles, BigInt or NaN);
 * - a store never keeps a reference to the caller's objects;
 * - what comes back from any store is what JSON would give: dates become ISO strings,
 *   properties set to `undefined` are absent.
 * Refused: cycles, BigInt, NaN and +-Infinity, functions, symbols, `undefined` inside arrays,
 * objects that are neither plain nor have `toJSON` (Map, Set, typed arrays), nesting deeper
 * than MAX_DEPTH. The error names the field.
 */

const MAX_DEPTH = 64;

export function storableEvent(e: RoomEvent): RoomEvent {
  const path = 'event';
  record(e, path);
  const out: RoomEvent = {
    id: nonEmpty(e.id, `${path}.id`),
    roomId: nonEmpty(e.roomId, `${path}.roomId`),
    type: str(e.type, `${path}.type`),
    source: source(e.source, `${path}.source`),
    content: content(e.content, `${path}.content`),
    status: str(e.status, `${path}.status`) as RoomEvent['status'],
    index: count(e.index, `${path}.index`),
    chainDepth: count(e.chainDepth, `${path}.chainDepth`),
    visibility: visibility(e.visibility, `${path}.visibility`),
    createdAt: str(e.createdAt, `${path}.createdAt`),
    metadata: plainRecord(e.metadata, `${path}.metadata`),
  };
  if (e.blockedBy !== undefined) out.blockedBy = str(e.blockedBy, `${path}.blockedBy`);
  if (e.idempotencyKey !== undefined) out.idempotencyKey = str(e.idempotencyKey, `${path}.idempotencyKey`);
  if (e.targetChannelIds !== undefined)
    out.targetChannelIds = strings(e.targetChannelIds, `${path}.targetChannelIds`);
  if (e.responseTo !== undefined) out.responseTo = str(e.responseTo, `${path}.responseTo`);
  return out;
}

export function storableRoom(r: Room): Room {
  const path = 'room';
  record(r, path);
  const out: Room = {
    id: nonEmpty(r.id, `${path}.id`),
    status: str(r.status, `${path}.status`) as Room['status'],
    metadata: plainRecord(r.metadata ?? {}, `${path}.metadata`),
    createdAt: str(r.createdAt, `${path}.createdAt`),
    updatedAt: str(r.updatedAt, `${path}.updatedAt`),
    eventCount: r.eventCount,
  };
  if (r.organizationId !== undefined) out.organizationId = str(r.organizationId, `${path}.organizationId`);
  if (r.timers !== undefined) out.timers = plainRecord(r.timers, `${path}.timers`) as Room['timers'];
  if (r.closedAt !== undefined) out.closedAt = str(r.closedAt, `${path}.closedAt`);
  if (r.lastActivityAt !== undefined) out.lastActivityAt = str(r.lastActivityAt, `${path}.lastActivityAt`);
  return out;
}

export function storableBinding(b: ChannelBinding): ChannelBinding {
  const path = 'binding';
  record(b, path);
  const out: ChannelBinding = {
    roomId: nonEmpty(b.roomId, `${path}.roomId`),
    channelId: nonEmpty(b.channelId, `${path}.channelId`),
    channelType: str(b.channelType, `${path}.channelType`),
    category: str(b.category, `${path}.category`) as ChannelBinding['category'],
    access: str(b.access, `${path}.access`) as ChannelBinding['access'],
    muted: bool(b.muted, `${path}.muted`),
    visibility: visibility(b.visibility, `${path}.visibility`),
    metadata: plainRecord(b.metadata ?? {}, `${path}.metadata`),
    attachedAt: str(b.attachedAt, `${path}.attachedAt`),
  };
  if (b.participantId !== undefined) out.participantId = str(b.participantId, `${path}.participantId`);
  if (b.deliveryTimeoutMs !== undefined)
    out.deliveryTimeoutMs = positive(b.deliveryTimeoutMs, `${path}.deliveryTimeoutMs`);
  return out;
}

export function storableParticipant(p: Participant): Participant {
  const path = 'participant';
  record(p, path);
  const out: Participant = {
    id: nonEmpty(p.id, `${path}.id`),
    roomId: nonEmpty(p.roomId, `${path}.roomId`),
    role: str(p.role, `${path}.role`),
    identified: bool(p.identified, `${path}.identified`),
    metadata: plainRecord(p.metadata ?? {}, `${path}.metadata`),
    joinedAt: str(p.joinedAt, `${path}.joinedAt`),
  };
  if (p.displayName !== undefined) out.displayName = str(p.displayName, `${path}.displayName`);
  if (p.channelId !== undefined) out.channelId = str(p.channelId, `${path}.channelId`);
  return out;
}

/** A cursor may only point at a committed event: -1 <= index < eventCount, an integer. */
export function checkDeliveryCursor(roomId: string, index: number, eventCount: number): void {
  if (!Number.isSafeInteger(index) || index < -1 || index >= eventCount) {
    fail('index', `delivery cursor ${index} is not a committed event of ${roomId} (0..${eventCount - 1})`);
  }
}

/** A validated deep copy of any JSON value (the rules above), e.g. for metadata at the edge. */
export function jsonCopy(value: unknown, path: string): unknown {
  return copy(value, path, []);
}

/**
 * A deep copy of a value that is already known to be JSON (it came out of one of the functions
 * above): no checks, so reads stay cheap.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = cloneJson((value as Record<string, unknown>)[key]);
  return out as T;
}

function copy(value: unknown, path: string, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} is not a finite number`);
      return value;
    case 'object':
      break;
    default:
      fail(path, `a ${typeof value} cannot be stored`);
  }
  if (value === null) return null;
  if (ancestors.includes(value as object)) fail(path, 'circular reference');
  if (ancestors.length >= MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} levels`);
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') {
    // Dates and friends: store what JSON would (once; a toJSON returning another toJSON is refused).
    const json = obj.toJSON();
    if (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { toJSON?: unknown }).toJSON === 'function'
    )
      fail(path, 'toJSON returned an object with its own toJSON');
    return copy(json, path, ancestors);
  }
  ancestors.push(obj);
  try {
    if (Array.isArray(obj)) {
      const out = new Array(obj.length);
      for (let i = 0; i < obj.length; i++) {
        if (obj[i] === undefined) fail(`${path}[${i}]`, 'undefined inside an array');
        out[i] = copy(obj[i], `${path}[${i}]`, ancestors);
      }
      return out;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      fail(path, `a ${proto?.constructor?.name ?? 'non-plain'} object cannot be stored`);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v !== undefined) out[key] = copy(v, `${path}.${key}`, ancestors);
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

function fail(path: string, why: string): never {
  throw new ValidationError(`${path}: ${why}`, undefined, path);
}

function record(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected an object');
}

function plainRecord(value: unknown, path: string): Record<string, unknown> {
  record(value, path);
  return copy(value, path, []) as Record<string, unknown>;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function nonEmpty(value: unknown, path: string): string {
  if (str(value, path) === '') fail(path, 'must not be empty');
  return value as string;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(path, `expected a non-negative integer, got ${describe(value)}`);
  return value;
}

function positive(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    fail(path, `expected a positive number, got ${describe(value)}`);
  return value;
}

function strings(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, `expected an array of strings, got ${describe(value)}`);
  return value.map((v, i) => str(v, `${path}[${i}]`));
}

function visibility(value: unknown, path: string): RoomEvent['visibility'] {
  return typeof value === 'string' ? value : strings(value, path);
}

function source(value: unknown, path: string): RoomEvent['source'] {
  record(value, path);
  const s = value as RoomEvent['source'];
  const out: RoomEvent['source'] = {
    channelId: str(s.channelId, `${path}.channelId`),
    channelType: str(s.channelType, `${path}.channelType`),
  };
  if (s.participantId !== undefined) out.participantId = str(s.participantId, `${path}.participantId`);
  return out;
}

function content(value: unknown, path: string): RoomEvent['content'] {
  const out = plainRecord(value, path);
  str(out.type, `${path}.type`);
  return out as unknown as RoomEvent['content'];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : typeof value;
}
