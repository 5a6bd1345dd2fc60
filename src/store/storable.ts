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
  record(e, 'event');
  const out: RoomEvent = {
    id: nonEmpty(e.id, 'event.id'),
    roomId: nonEmpty(e.roomId, 'event.roomId'),
    type: str(e.type, 'event.type'),
    source: source(e.source, 'event.source'),
    content: content(e.content, 'event.content'),
    status: str(e.status, 'event.status') as RoomEvent['status'],
    index: count(e.index, 'event.index'),
    chainDepth: count(e.chainDepth, 'event.chainDepth'),
    visibility: visibility(e.visibility, 'event.visibility'),
    createdAt: str(e.createdAt, 'event.createdAt'),
    metadata: plainRecord(e.metadata, 'event.metadata'),
  };
  if (e.blockedBy !== undefined) out.blockedBy = str(e.blockedBy, 'event.blockedBy');
  if (e.idempotencyKey !== undefined) out.idempotencyKey = str(e.idempotencyKey, 'event.idempotencyKey');
  if (e.targetChannelIds !== undefined)
    out.targetChannelIds = strings(e.targetChannelIds, 'event.targetChannelIds');
  if (e.responseTo !== undefined) out.responseTo = str(e.responseTo, 'event.responseTo');
  return out;
}

export function storableRoom(r: Room): Room {
  record(r, 'room');
  const out: Room = {
    id: nonEmpty(r.id, 'room.id'),
    status: str(r.status, 'room.status') as Room['status'],
    metadata: plainRecord(r.metadata ?? {}, 'room.metadata'),
    createdAt: str(r.createdAt, 'room.createdAt'),
    updatedAt: str(r.updatedAt, 'room.updatedAt'),
    eventCount: r.eventCount,
  };
  if (r.organizationId !== undefined) out.organizationId = str(r.organizationId, 'room.organizationId');
  if (r.timers !== undefined) out.timers = plainRecord(r.timers, 'room.timers') as Room['timers'];
  if (r.closedAt !== undefined) out.closedAt = str(r.closedAt, 'room.closedAt');
  if (r.lastActivityAt !== undefined) out.lastActivityAt = str(r.lastActivityAt, 'room.lastActivityAt');
  return out;
}

export function storableBinding(b: ChannelBinding): ChannelBinding {
  record(b, 'binding');
  const out: ChannelBinding = {
    roomId: nonEmpty(b.roomId, 'binding.roomId'),
    channelId: nonEmpty(b.channelId, 'binding.channelId'),
    channelType: str(b.channelType, 'binding.channelType'),
    category: str(b.category, 'binding.category') as ChannelBinding['category'],
    access: str(b.access, 'binding.access') as ChannelBinding['access'],
    muted: bool(b.muted, 'binding.muted'),
    visibility: visibility(b.visibility, 'binding.visibility'),
    metadata: plainRecord(b.metadata ?? {}, 'binding.metadata'),
    attachedAt: str(b.attachedAt, 'binding.attachedAt'),
  };
  if (b.participantId !== undefined) out.participantId = str(b.participantId, 'binding.participantId');
  if (b.deliveryTimeoutMs !== undefined)
    out.deliveryTimeoutMs = positive(b.deliveryTimeoutMs, 'binding.deliveryTimeoutMs');
  return out;
}

export function storableParticipant(p: Participant): Participant {
  record(p, 'participant');
  const out: Participant = {
    id: nonEmpty(p.id, 'participant.id'),
    roomId: nonEmpty(p.roomId, 'participant.roomId'),
    role: str(p.role, 'participant.role'),
    identified: bool(p.identified, 'participant.identified'),
    metadata: plainRecord(p.metadata ?? {}, 'participant.metadata'),
    joinedAt: str(p.joinedAt, 'participant.joinedAt'),
  };
  if (p.displayName !== undefined) out.displayName = str(p.displayName, 'participant.displayName');
  if (p.channelId !== undefined) out.channelId = str(p.channelId, 'participant.channelId');
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
  for (const key of Object.keys(value)) out[key] = cloneJson((value as Record<string, unknown>)[key]);
  return out as T;
}

/**
 * The copy runs without building paths (this is on every commit); only when it meets something
 * it refuses does it walk the value again to name the field.
 */
function copy(value: unknown, path: string, ancestors: object[]): unknown {
  try {
    return copyFast(value, ancestors);
  } catch (error) {
    if (error !== REFUSED) throw error;
    ancestors.length = 0;
    locate(value, path, []);
    throw new ValidationError(`${path}: cannot be stored`, undefined, path);
  }
}

const REFUSED = new Error('refused');

function copyFast(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw REFUSED;
      return value;
    case 'object':
      break;
    default:
      throw REFUSED;
  }
  if (value === null) return null;
  if (ancestors.length >= MAX_DEPTH || ancestors.includes(value as object)) throw REFUSED;
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') {
    const json = obj.toJSON();
    if (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { toJSON?: unknown }).toJSON === 'function'
    )
      throw REFUSED;
    return copyFast(json, ancestors);
  }
  ancestors.push(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const arr = new Array(obj.length);
    for (let i = 0; i < obj.length; i++) {
      if (obj[i] === undefined) throw REFUSED;
      arr[i] = copyFast(obj[i], ancestors);
    }
    out = arr;
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw REFUSED;
    const rec: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v !== undefined) rec[key] = copyFast(v, ancestors);
    }
    out = rec;
  }
  ancestors.pop();
  return out;
}

/** The slow twin of copyFast: same rules, throws a ValidationError naming the first bad field. */
function locate(value: unknown, path: string, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} is not a finite number`);
      return;
    case 'object':
      break;
    default:
      fail(path, `a ${typeof value} cannot be stored`);
  }
  if (value === null) return;
  if (ancestors.includes(value as object)) fail(path, 'circular reference');
  if (ancestors.length >= MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} levels`);
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') {
    const json = obj.toJSON();
    if (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { toJSON?: unknown }).toJSON === 'function'
    )
      fail(path, 'toJSON returned an object with its own toJSON');
    locate(json, path, ancestors);
    return;
  }
  ancestors.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      if (obj[i] === undefined) fail(`${path}[${i}]`, 'undefined inside an array');
      locate(obj[i], `${path}[${i}]`, ancestors);
    }
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      fail(path, `a ${proto?.constructor?.name ?? 'non-plain'} object cannot be stored`);
    for (const key of Object.keys(obj))
      if (obj[key] !== undefined) locate(obj[key], `${path}.${key}`, ancestors);
  }
  ancestors.pop();
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
