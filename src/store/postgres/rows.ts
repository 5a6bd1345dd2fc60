import type {
  Access,
  ChannelBinding,
  ChannelCategory,
  EventStatus,
  Participant,
  Room,
  RoomEvent,
  RoomStatus,
} from '../../models/index.js';
import { decodeText, encodeJson, encodeOptional, encodeText } from './text-codec.js';

/**
 * Model <-> row mapping. Parameters are arrays in the column order of the INSERTs in
 * queries.ts; JSONB columns go in as JSON text and come back parsed (the pool's type parser
 * decodes them, text-codec.ts); NULL columns become absent properties.
 */

export interface RoomRow {
  id: string;
  status: string;
  organization_id: string | null;
  metadata: Record<string, unknown>;
  timers: Room['timers'] | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  last_activity_at: string | null;
  event_count: number;
}

export interface BindingRow {
  room_id: string;
  channel_id: string;
  channel_type: string;
  category: string;
  access: string;
  muted: boolean;
  visibility: ChannelBinding['visibility'];
  participant_id: string | null;
  metadata: Record<string, unknown>;
  attached_at: string;
  delivery_timeout_ms: number | null;
}

export interface ParticipantRow {
  room_id: string;
  id: string;
  display_name: string | null;
  channel_id: string | null;
  role: string;
  identified: boolean;
  metadata: Record<string, unknown>;
  joined_at: string;
}

export interface EventRow {
  room_id: string;
  idx: number;
  id: string;
  type: string;
  source: RoomEvent['source'];
  content: RoomEvent['content'];
  status: string;
  blocked_by: string | null;
  chain_depth: number;
  idempotency_key: string | null;
  visibility: RoomEvent['visibility'];
  created_at: string;
  metadata: Record<string, unknown>;
  target_channel_ids: string[] | null;
  response_to: string | null;
}

/** id, status, organization_id, metadata, timers, created_at, updated_at, closed_at, last_activity_at */
export function roomParams(room: Room): unknown[] {
  return [
    encodeText(room.id),
    encodeText(room.status),
    encodeOptional(room.organizationId),
    encodeJson(room.metadata ?? {}),
    room.timers === undefined ? null : encodeJson(room.timers),
    encodeText(room.createdAt),
    encodeText(room.updatedAt),
    encodeOptional(room.closedAt),
    encodeOptional(room.lastActivityAt),
  ];
}

export function roomFromRow(row: RoomRow): Room {
  const room: Room = {
    id: decodeText(row.id),
    status: decodeText(row.status) as RoomStatus,
    metadata: row.metadata,
    createdAt: decodeText(row.created_at),
    updatedAt: decodeText(row.updated_at),
    eventCount: Number(row.event_count),
  };
  if (row.organization_id !== null) room.organizationId = decodeText(row.organization_id);
  if (row.timers !== null) room.timers = row.timers;
  if (row.closed_at !== null) room.closedAt = decodeText(row.closed_at);
  if (row.last_activity_at !== null) room.lastActivityAt = decodeText(row.last_activity_at);
  return room;
}

/** room_id, channel_id, channel_type, category, access, muted, visibility, participant_id, metadata, attached_at, delivery_timeout_ms */
export function bindingParams(b: ChannelBinding): unknown[] {
  return [
    encodeText(b.roomId),
    encodeText(b.channelId),
    encodeText(b.channelType),
    encodeText(b.category),
    encodeText(b.access),
    b.muted,
    encodeJson(b.visibility),
    encodeOptional(b.participantId),
    encodeJson(b.metadata ?? {}),
    encodeText(b.attachedAt),
    b.deliveryTimeoutMs ?? null,
  ];
}

export function bindingFromRow(row: BindingRow): ChannelBinding {
  const b: ChannelBinding = {
    roomId: decodeText(row.room_id),
    channelId: decodeText(row.channel_id),
    channelType: decodeText(row.channel_type),
    category: decodeText(row.category) as ChannelCategory,
    access: decodeText(row.access) as Access,
    muted: row.muted,
    visibility: row.visibility,
    metadata: row.metadata,
    attachedAt: decodeText(row.attached_at),
  };
  if (row.participant_id !== null) b.participantId = decodeText(row.participant_id);
  if (row.delivery_timeout_ms !== null) b.deliveryTimeoutMs = row.delivery_timeout_ms;
  return b;
}

/** room_id, id, display_name, channel_id, role, identified, metadata, joined_at */
export function participantParams(p: Participant): unknown[] {
  return [
    encodeText(p.roomId),
    encodeText(p.id),
    encodeOptional(p.displayName),
    encodeOptional(p.channelId),
    encodeText(p.role),
    p.identified,
    encodeJson(p.metadata ?? {}),
    encodeText(p.joinedAt),
  ];
}

export function participantFromRow(row: ParticipantRow): Participant {
  const p: Participant = {
    id: decodeText(row.id),
    roomId: decodeText(row.room_id),
    role: decodeText(row.role),
    identified: row.identified,
    metadata: row.metadata,
    joinedAt: decodeText(row.joined_at),
  };
  if (row.display_name !== null) p.displayName = decodeText(row.display_name);
  if (row.channel_id !== null) p.channelId = decodeText(row.channel_id);
  return p;
}

/**
 * room_id, idx, id, type, source, content, status, blocked_by, chain_depth, idempotency_key,
 * visibility, created_at, metadata, target_channel_ids, response_to
 */
export function eventParams(e: RoomEvent): unknown[] {
  return [
    encodeText(e.roomId),
    e.index,
    encodeText(e.id),
    encodeText(e.type),
    encodeJson(e.source),
    encodeJson(e.content),
    encodeText(e.status),
    encodeOptional(e.blockedBy),
    e.chainDepth,
    encodeOptional(e.idempotencyKey),
    encodeJson(e.visibility),
    encodeText(e.createdAt),
    encodeJson(e.metadata ?? {}),
    e.targetChannelIds === undefined ? null : encodeJson(e.targetChannelIds),
    encodeOptional(e.responseTo),
  ];
}

export function eventFromRow(row: EventRow): RoomEvent {
  const e: RoomEvent = {
    id: decodeText(row.id),
    roomId: decodeText(row.room_id),
    type: decodeText(row.type),
    source: row.source,
    content: row.content,
    status: decodeText(row.status) as EventStatus,
    index: Number(row.idx),
    chainDepth: row.chain_depth,
    visibility: row.visibility,
    createdAt: decodeText(row.created_at),
    metadata: row.metadata,
  };
  if (row.blocked_by !== null) e.blockedBy = decodeText(row.blocked_by);
  if (row.idempotency_key !== null) e.idempotencyKey = decodeText(row.idempotency_key);
  if (row.target_channel_ids !== null) e.targetChannelIds = row.target_channel_ids;
  if (row.response_to !== null) e.responseTo = decodeText(row.response_to);
  return e;
}
