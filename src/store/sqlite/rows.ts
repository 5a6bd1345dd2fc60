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

/**
 * Model <-> row mapping. NULL columns become absent properties (never `undefined` values), so
 * what comes back is structurally the object that went in.
 */

export interface RoomRow {
  id: string;
  status: string;
  organization_id: string | null;
  metadata: string;
  timers: string | null;
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
  muted: number;
  visibility: string;
  participant_id: string | null;
  metadata: string;
  attached_at: string;
  delivery_timeout_ms: number | null;
}

export interface ParticipantRow {
  room_id: string;
  id: string;
  display_name: string | null;
  channel_id: string | null;
  role: string;
  identified: number;
  metadata: string;
  joined_at: string;
}

export interface EventRow {
  room_id: string;
  idx: number;
  id: string;
  type: string;
  source: string;
  content: string;
  status: string;
  blocked_by: string | null;
  chain_depth: number;
  idempotency_key: string | null;
  visibility: string;
  created_at: string;
  metadata: string;
  target_channel_ids: string | null;
  response_to: string | null;
}

/** Bind parameters use the column names, so the INSERT statements read like the table. */
export function roomParams(room: Room): Omit<RoomRow, 'event_count'> {
  return {
    id: room.id,
    status: room.status,
    organization_id: room.organizationId ?? null,
    metadata: JSON.stringify(room.metadata ?? {}),
    timers: room.timers === undefined ? null : JSON.stringify(room.timers),
    created_at: room.createdAt,
    updated_at: room.updatedAt,
    closed_at: room.closedAt ?? null,
    last_activity_at: room.lastActivityAt ?? null,
  };
}

export function roomFromRow(row: RoomRow): Room {
  const room: Room = {
    id: row.id,
    status: row.status as RoomStatus,
    metadata: JSON.parse(row.metadata),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    eventCount: row.event_count,
  };
  if (row.organization_id !== null) room.organizationId = row.organization_id;
  if (row.timers !== null) room.timers = JSON.parse(row.timers);
  if (row.closed_at !== null) room.closedAt = row.closed_at;
  if (row.last_activity_at !== null) room.lastActivityAt = row.last_activity_at;
  return room;
}

export function bindingParams(b: ChannelBinding): BindingRow {
  return {
    room_id: b.roomId,
    channel_id: b.channelId,
    channel_type: b.channelType,
    category: b.category,
    access: b.access,
    muted: b.muted ? 1 : 0,
    visibility: JSON.stringify(b.visibility),
    participant_id: b.participantId ?? null,
    metadata: JSON.stringify(b.metadata ?? {}),
    attached_at: b.attachedAt,
    delivery_timeout_ms: b.deliveryTimeoutMs ?? null,
  };
}

export function bindingFromRow(row: BindingRow): ChannelBinding {
  const b: ChannelBinding = {
    roomId: row.room_id,
    channelId: row.channel_id,
    channelType: row.channel_type,
    category: row.category as ChannelCategory,
    access: row.access as Access,
    muted: row.muted !== 0,
    visibility: JSON.parse(row.visibility),
    metadata: JSON.parse(row.metadata),
    attachedAt: row.attached_at,
  };
  if (row.participant_id !== null) b.participantId = row.participant_id;
  if (row.delivery_timeout_ms !== null) b.deliveryTimeoutMs = row.delivery_timeout_ms;
  return b;
}

export function participantParams(p: Participant): ParticipantRow {
  return {
    room_id: p.roomId,
    id: p.id,
    display_name: p.displayName ?? null,
    channel_id: p.channelId ?? null,
    role: p.role,
    identified: p.identified ? 1 : 0,
    metadata: JSON.stringify(p.metadata ?? {}),
    joined_at: p.joinedAt,
  };
}

export function participantFromRow(row: ParticipantRow): Participant {
  const p: Participant = {
    id: row.id,
    roomId: row.room_id,
    role: row.role,
    identified: row.identified !== 0,
    metadata: JSON.parse(row.metadata),
    joinedAt: row.joined_at,
  };
  if (row.display_name !== null) p.displayName = row.display_name;
  if (row.channel_id !== null) p.channelId = row.channel_id;
  return p;
}

export function eventParams(e: RoomEvent): EventRow {
  return {
    room_id: e.roomId,
    idx: e.index,
    id: e.id,
    type: e.type,
    source: JSON.stringify(e.source),
    content: JSON.stringify(e.content),
    status: e.status,
    blocked_by: e.blockedBy ?? null,
    chain_depth: e.chainDepth,
    idempotency_key: e.idempotencyKey ?? null,
    visibility: JSON.stringify(e.visibility),
    created_at: e.createdAt,
    metadata: JSON.stringify(e.metadata ?? {}),
    target_channel_ids: e.targetChannelIds === undefined ? null : JSON.stringify(e.targetChannelIds),
    response_to: e.responseTo ?? null,
  };
}

export function eventFromRow(row: EventRow): RoomEvent {
  const e: RoomEvent = {
    id: row.id,
    roomId: row.room_id,
    type: row.type,
    source: JSON.parse(row.source),
    content: JSON.parse(row.content),
    status: row.status as EventStatus,
    index: row.idx,
    chainDepth: row.chain_depth,
    visibility: JSON.parse(row.visibility),
    createdAt: row.created_at,
    metadata: JSON.parse(row.metadata),
  };
  if (row.blocked_by !== null) e.blockedBy = row.blocked_by;
  if (row.idempotency_key !== null) e.idempotencyKey = row.idempotency_key;
  if (row.target_channel_ids !== null) e.targetChannelIds = JSON.parse(row.target_channel_ids);
  if (row.response_to !== null) e.responseTo = row.response_to;
  return e;
}
