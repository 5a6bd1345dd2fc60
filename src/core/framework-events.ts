import type { ChannelBinding, Room, RoomEvent } from '../models/index.js';

/** What `kit.on(name, handler)` can observe, with each event's payload. */
export interface FrameworkEventMap {
  event_processed: { event: RoomEvent };
  event_blocked: { event?: RoomEvent; roomId?: string; reason: string; blockedBy?: string };
  delivery_failed: { event: RoomEvent; channelId: string; error: unknown; attempts: number };
  hook_error: { hook: string; trigger: string; error: unknown; roomId?: string };
  circuit_breaker_opened: { channelId: string };
  circuit_breaker_closed: { channelId: string };
  circuit_breaker_half_open: { channelId: string };
  room_created: { room: Room };
  room_paused: { room: Room };
  room_closed: { room: Room };
  room_reactivated: { room: Room };
  channel_attached: { binding: ChannelBinding };
  channel_detached: { roomId: string; channelId: string };
  channel_error: { channelId: string; error: unknown; roomId?: string };
  identity_resolved: { roomId: string; participantId: string };
  /** An intelligence channel's model call failed (the room's clients got a `notice`). */
  provider_error: {
    roomId: string;
    channelId: string;
    level: 'error';
    code: string;
    message: string;
    provider: string;
    retryable: boolean;
    error: unknown;
  };
  /** After a restart, delivery of a room resumed from its cursor (`kit.recover()`, or first use). */
  delivery_resumed: { roomId: string; fromIndex: number; events: number; skippedReplies: number };
  /** Named timing figures (voice turn latencies and the like). */
  metric: {
    name: string;
    valueMs: number;
    roomId?: string;
    sessionId?: string;
    labels?: Record<string, string>;
  };
  [name: string]: unknown;
}

export type FrameworkEventName = keyof FrameworkEventMap & string;
export type FrameworkListener<K extends FrameworkEventName> = (payload: FrameworkEventMap[K]) => void;

/** A small typed emitter. A throwing listener is logged and never breaks the emitter. */
export class FrameworkEvents {
  private readonly listeners = new Map<string, Set<(payload: any) => void>>();

  constructor(private readonly onListenerError: (name: string, error: unknown) => void) {}

  on<K extends FrameworkEventName>(name: K, listener: FrameworkListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends FrameworkEventName>(name: K, payload: FrameworkEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(name, error);
      }
    }
  }

  has(name: FrameworkEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }
}
