import type { RoomEvent } from '../../models/index.js';
import { errorMessage } from '../errors.js';
import { redactSecrets } from '../redact.js';

/** One hook's run on one event: what it decided and how long it took. */
export interface HookRun {
  hook: string;
  trigger: string;
  /** `error` covers a throw, a missed deadline and an invalid `modify`. */
  decision: 'allow' | 'block' | 'modify' | 'error';
  durationMs: number;
  /** The block reason. */
  reason?: string;
  /** The error message (credentials removed). */
  error?: string;
}

/** One delivery of an event to one channel, after retries. */
export interface DeliveryRun {
  channelId: string;
  outcome: 'delivered' | 'failed';
  attempts: number;
  durationMs: number;
  error?: string;
}

/** What happened to one event in the pipeline: its hooks, then its deliveries. */
export interface EventTrace {
  eventId: string;
  roomId: string;
  index: number;
  /** BEFORE_BROADCAST hooks, in the order they ran. */
  hooks: HookRun[];
  deliveries: DeliveryRun[];
  /** AFTER_BROADCAST hooks (async, concurrent). */
  afterHooks: HookRun[];
}

export interface EventTraceOptions {
  /** Newest events kept per room (default 200). */
  maxEventsPerRoom?: number;
  /** Rooms kept; the least recently active is forgotten first (default 200). */
  maxRooms?: number;
}

/**
 * The kit's recent per-event traces, for inspectors (`roomkit serve`'s console shows them when
 * an event is expanded). Kept in memory only, bounded per room and in rooms: a trace is about
 * the running process (which hook took how long), not part of the conversation, so it is not
 * written to the store or to the event's metadata and does not survive a restart.
 */
export class EventTraceLog {
  private readonly rooms = new Map<string, Map<string, EventTrace>>();
  private readonly perRoom: number;
  private readonly maxRooms: number;

  constructor(opts: EventTraceOptions = {}) {
    this.perRoom = Math.max(1, opts.maxEventsPerRoom ?? 200);
    this.maxRooms = Math.max(1, opts.maxRooms ?? 200);
  }

  /** A committed event and the BEFORE_BROADCAST hooks that ran on it. */
  record(event: RoomEvent, hooks: HookRun[] | undefined): void {
    let room = this.rooms.get(event.roomId);
    if (room) {
      // Most recently active room last, so the first one is the one to forget.
      this.rooms.delete(event.roomId);
    } else {
      room = new Map();
      if (this.rooms.size >= this.maxRooms) this.rooms.delete(this.rooms.keys().next().value!);
    }
    this.rooms.set(event.roomId, room);
    room.set(event.id, {
      eventId: event.id,
      roomId: event.roomId,
      index: event.index,
      hooks: hooks ?? [],
      deliveries: [],
      afterHooks: [],
    });
    if (room.size > this.perRoom) room.delete(room.keys().next().value!);
  }

  delivery(event: RoomEvent, run: DeliveryRun): void {
    this.rooms.get(event.roomId)?.get(event.id)?.deliveries.push(run);
  }

  afterHooks(event: RoomEvent, runs: HookRun[]): void {
    this.rooms
      .get(event.roomId)
      ?.get(event.id)
      ?.afterHooks.push(...runs);
  }

  get(roomId: string, eventId: string): EventTrace | undefined {
    return this.rooms.get(roomId)?.get(eventId);
  }

  /** The room's kept traces, oldest first; `sinceIndex` keeps those at or after an index. */
  list(roomId: string, sinceIndex = 0): EventTrace[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    return [...room.values()].filter((t) => t.index >= sinceIndex);
  }
}

/** An error as a trace shows it: its message, without credentials. */
export function traceError(error: unknown): string {
  return redactSecrets(errorMessage(error), 300);
}
