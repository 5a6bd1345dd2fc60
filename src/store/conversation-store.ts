import type { ChannelBinding, Participant, Room, RoomEvent, RoomStatus } from '../models/index.js';

export interface ListEventsQuery {
  /** Only events with index > afterIndex. */
  afterIndex?: number;
  /** Only events with index < beforeIndex. */
  beforeIndex?: number;
  limit?: number;
  /**
   * 'forward' (default) takes the first `limit` matching events; 'backward' takes the last
   * `limit` (the newest). The result is always in ascending index order.
   */
  direction?: 'forward' | 'backward';
}

export interface ListRoomsQuery {
  status?: RoomStatus;
  organizationId?: string;
  limit?: number;
  offset?: number;
}

/**
 * Where rooms and their timelines live. Every method is atomic on its own; `addEvent`
 * writes the event and advances the room's `eventCount` and `lastActivityAt` in one step,
 * so a crash never leaves an index gap or an event without its room update.
 *
 * Every store validates what it is given with the helpers of `storable.ts` (so all stores accept
 * and refuse the same inputs, with a ValidationError) and never aliases the caller's objects:
 * what is passed in or handed out can be mutated without changing what is stored.
 */
export interface ConversationStore {
  readonly name: string;

  createRoom(room: Room): Promise<void>;
  getRoom(roomId: string): Promise<Room | undefined>;
  updateRoom(room: Room): Promise<void>;
  deleteRoom(roomId: string): Promise<void>;
  listRooms(query?: ListRoomsQuery): Promise<Room[]>;

  saveBinding(binding: ChannelBinding): Promise<void>;
  removeBinding(roomId: string, channelId: string): Promise<void>;
  listBindings(roomId: string): Promise<ChannelBinding[]>;
  /** Ids of rooms (not closed or archived) where the channel is attached, optionally with the participant. */
  findRoomIds(query: { channelId: string; participantId?: string }): Promise<string[]>;

  saveParticipant(participant: Participant): Promise<void>;
  getParticipant(roomId: string, participantId: string): Promise<Participant | undefined>;
  listParticipants(roomId: string): Promise<Participant[]>;
  removeParticipant(roomId: string, participantId: string): Promise<void>;

  /** Commit an event. Its index must equal the room's eventCount (else it throws). */
  addEvent(event: RoomEvent): Promise<void>;
  getEvent(roomId: string, eventId: string): Promise<RoomEvent | undefined>;
  listEvents(roomId: string, query?: ListEventsQuery): Promise<RoomEvent[]>;
  /**
   * Optional: `listEvents` for callers that only read (the AI channel's context, every turn).
   * A store may return its own event objects here instead of copies, so the caller must not
   * change them. Stores whose reads build new objects anyway (SQL) need not implement it.
   */
  readEvents?(roomId: string, query?: ListEventsQuery): Promise<readonly RoomEvent[]>;
  countEvents(roomId: string): Promise<number>;
  findEventByIdempotencyKey(roomId: string, key: string): Promise<RoomEvent | undefined>;

  /**
   * The room's delivery cursor: every event with an index up to it has been handled by every
   * channel of the room (delivered, or failed for good). -1 when nothing has been, or for an
   * unknown room. After a crash the kit resumes delivery after it.
   */
  getDeliveryCursor(roomId: string): Promise<number>;
  /**
   * Move the cursor forward to `index`; a lower index than the current cursor is ignored (the
   * cursor never moves back). An index past the last committed event, or an unknown room, is a
   * ValidationError.
   */
  advanceDeliveryCursor(roomId: string, index: number): Promise<void>;
  /** Ids of rooms (any status) whose cursor is behind their last event, in creation order. */
  listUndeliveredRooms(): Promise<string[]>;

  close(): Promise<void>;
}
