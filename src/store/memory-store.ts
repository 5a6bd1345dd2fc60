import { ValidationError } from '../core/errors.js';
import type { ChannelBinding, Participant, Room, RoomEvent } from '../models/index.js';
import type { ConversationStore, ListEventsQuery, ListRoomsQuery } from './conversation-store.js';
import {
  checkDeliveryCursor,
  cloneJson,
  storableBinding,
  storableEvent,
  storableParticipant,
  storableRoom,
} from './storable.js';

interface RoomData {
  room: Room;
  /** events[i].index === i: indices have no gaps, so slicing is the index lookup. */
  events: RoomEvent[];
  eventsById: Map<string, RoomEvent>;
  byIdempotencyKey: Map<string, RoomEvent>;
  bindings: Map<string, ChannelBinding>;
  participants: Map<string, Participant>;
  /** Highest index handled by every channel (-1: none). */
  deliveredIndex: number;
  /** Recent senders' source records, shared by their stored events (never handed out). */
  sources: RoomEvent['source'][];
}

/** Shared by stored events without metadata (never handed out: reads copy). */
const NO_METADATA: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const SOURCES_KEPT = 8;

const CLOSED = new Set(['closed', 'archived']);

/**
 * The default store: everything in process memory, indexed so no query scans a timeline.
 * Writes are validated and copied (storable.ts) and reads hand out copies, so it behaves like a
 * store that serialises: nothing the caller holds is shared with what is stored.
 */
export class MemoryStore implements ConversationStore {
  readonly name = 'memory';
  private readonly rooms = new Map<string, RoomData>();

  async createRoom(room: Room): Promise<void> {
    const copy = storableRoom(room);
    if (this.rooms.has(copy.id)) throw new ValidationError(`room already exists: ${copy.id}`);
    // A new room has no events, whatever count the caller passed; addEvent owns eventCount.
    copy.eventCount = 0;
    this.rooms.set(copy.id, {
      room: copy,
      events: [],
      eventsById: new Map(),
      byIdempotencyKey: new Map(),
      bindings: new Map(),
      participants: new Map(),
      deliveredIndex: -1,
      sources: [],
    });
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const data = this.rooms.get(roomId);
    return data ? cloneJson(data.room) : undefined;
  }

  async updateRoom(room: Room): Promise<void> {
    const next = storableRoom(room);
    const data = this.require(next.id);
    // eventCount and lastActivityAt belong to addEvent; a stale copy must not roll them back.
    next.eventCount = data.room.eventCount;
    // Absent stays absent: no `lastActivityAt: undefined` key on a room that never had an event.
    if (data.room.lastActivityAt === undefined) delete next.lastActivityAt;
    else next.lastActivityAt = data.room.lastActivityAt;
    data.room = next;
  }

  async deleteRoom(id: string): Promise<void> {
    this.rooms.delete(id);
  }

  async listRooms(query: ListRoomsQuery = {}): Promise<Room[]> {
    let rooms = [...this.rooms.values()].map((d) => d.room);
    if (query.status) rooms = rooms.filter((r) => r.status === query.status);
    if (query.organizationId) rooms = rooms.filter((r) => r.organizationId === query.organizationId);
    rooms.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    const offset = query.offset ?? 0;
    return rooms.slice(offset, query.limit === undefined ? undefined : offset + query.limit).map(cloneJson);
  }

  async saveBinding(binding: ChannelBinding): Promise<void> {
    const copy = storableBinding(binding);
    this.require(copy.roomId).bindings.set(copy.channelId, copy);
  }

  async removeBinding(roomId: string, channelId: string): Promise<void> {
    this.rooms.get(roomId)?.bindings.delete(channelId);
  }

  async listBindings(roomId: string): Promise<ChannelBinding[]> {
    const data = this.rooms.get(roomId);
    return data ? [...data.bindings.values()].map(cloneJson) : [];
  }

  async findRoomIds(query: { channelId: string; participantId?: string }): Promise<string[]> {
    const out: string[] = [];
    for (const data of this.rooms.values()) {
      if (CLOSED.has(data.room.status) || !data.bindings.has(query.channelId)) continue;
      if (query.participantId !== undefined && !data.participants.has(query.participantId)) continue;
      out.push(data.room.id);
    }
    return out;
  }

  async saveParticipant(participant: Participant): Promise<void> {
    const copy = storableParticipant(participant);
    this.require(copy.roomId).participants.set(copy.id, copy);
  }

  async getParticipant(roomId: string, participantId: string): Promise<Participant | undefined> {
    const p = this.rooms.get(roomId)?.participants.get(participantId);
    return p ? cloneJson(p) : undefined;
  }

  async listParticipants(roomId: string): Promise<Participant[]> {
    const data = this.rooms.get(roomId);
    return data ? [...data.participants.values()].map(cloneJson) : [];
  }

  async removeParticipant(roomId: string, participantId: string): Promise<void> {
    this.rooms.get(roomId)?.participants.delete(participantId);
  }

  async addEvent(input: RoomEvent): Promise<void> {
    const event = storableEvent(input);
    const data = this.require(event.roomId);
    if (event.index !== data.events.length) {
      throw new ValidationError(
        `event index ${event.index} does not follow ${data.events.length - 1} in ${event.roomId}`,
      );
    }
    if (event.idempotencyKey !== undefined && data.byIdempotencyKey.has(event.idempotencyKey)) {
      throw new ValidationError(`duplicate idempotency key in ${event.roomId}: ${event.idempotencyKey}`);
    }
    // A second event with the same id would silently shadow the first in getEvent.
    if (data.eventsById.has(event.id)) throw new ValidationError(`duplicate event id: ${event.id}`);
    // A long room holds millions of these: share what repeats (the GC copies each object it keeps).
    event.source = sharedSource(data, event.source);
    if (isEmpty(event.metadata)) event.metadata = NO_METADATA;
    data.events.push(event);
    data.eventsById.set(event.id, event);
    if (event.idempotencyKey !== undefined) data.byIdempotencyKey.set(event.idempotencyKey, event);
    data.room.eventCount = data.events.length;
    data.room.lastActivityAt = event.createdAt;
  }

  async getEvent(roomId: string, eventId: string): Promise<RoomEvent | undefined> {
    const e = this.rooms.get(roomId)?.eventsById.get(eventId);
    return e ? cloneJson(e) : undefined;
  }

  async listEvents(roomId: string, query: ListEventsQuery = {}): Promise<RoomEvent[]> {
    return this.page(roomId, query).map(cloneJson);
  }

  /**
   * The stored events themselves: copying 30 events for every turn's AI context was 10% of a
   * voice turn's CPU. Callers must not change them (see ConversationStore.readEvents).
   */
  async readEvents(roomId: string, query: ListEventsQuery = {}): Promise<readonly RoomEvent[]> {
    return this.page(roomId, query);
  }

  private page(roomId: string, query: ListEventsQuery): RoomEvent[] {
    const events = this.rooms.get(roomId)?.events;
    if (!events) return [];
    const start = Math.max(0, query.afterIndex === undefined ? 0 : query.afterIndex + 1);
    const end = Math.min(events.length, query.beforeIndex ?? events.length);
    if (end <= start) return [];
    const limit = query.limit ?? end - start;
    return query.direction === 'backward'
      ? events.slice(Math.max(start, end - limit), end)
      : events.slice(start, Math.min(end, start + limit));
  }

  async countEvents(roomId: string): Promise<number> {
    return this.rooms.get(roomId)?.events.length ?? 0;
  }

  async findEventByIdempotencyKey(roomId: string, key: string): Promise<RoomEvent | undefined> {
    const e = this.rooms.get(roomId)?.byIdempotencyKey.get(key);
    return e ? cloneJson(e) : undefined;
  }

  async getDeliveryCursor(roomId: string): Promise<number> {
    return this.rooms.get(roomId)?.deliveredIndex ?? -1;
  }

  async advanceDeliveryCursor(roomId: string, index: number): Promise<void> {
    const data = this.require(roomId);
    checkDeliveryCursor(roomId, index, data.events.length);
    if (index > data.deliveredIndex) data.deliveredIndex = index;
  }

  async listUndeliveredRooms(): Promise<string[]> {
    const behind = [...this.rooms.values()].filter((d) => d.deliveredIndex < d.events.length - 1);
    // Creation order, like listRooms (ties keep insertion order: the sort is stable).
    behind.sort((a, b) =>
      a.room.createdAt < b.room.createdAt ? -1 : a.room.createdAt > b.room.createdAt ? 1 : 0,
    );
    return behind.map((d) => d.room.id);
  }

  async close(): Promise<void> {}

  private require(id: string): RoomData {
    const data = this.rooms.get(id);
    if (!data) throw new ValidationError(`room not found: ${id}`);
    return data;
  }
}

function sharedSource(data: RoomData, source: RoomEvent['source']): RoomEvent['source'] {
  for (const s of data.sources) {
    if (
      s.channelId === source.channelId &&
      s.channelType === source.channelType &&
      s.participantId === source.participantId
    )
      return s;
  }
  if (data.sources.length >= SOURCES_KEPT) data.sources.shift();
  data.sources.push(source);
  return source;
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false;
  return true;
}
