import type { RoomTimers } from '../models/index.js';

export interface TimerActions {
  pause(roomId: string): Promise<void>;
  close(roomId: string): Promise<void>;
}

interface Entry {
  timers: RoomTimers;
  lastActivity: number;
  handle?: NodeJS.Timeout;
  paused: boolean;
}

/**
 * Inactivity timers. Activity only records a timestamp (no timer churn per message); the
 * single timer per room re-checks the idle time when it fires and re-arms if there was
 * activity meanwhile.
 */
export class RoomTimerWheel {
  private readonly rooms = new Map<string, Entry>();

  constructor(private readonly actions: TimerActions) {}

  /** `since`: when the room was last active (ISO), for a room taken over from another process. */
  watch(roomId: string, timers: RoomTimers | undefined, paused = false, since?: string): void {
    this.unwatch(roomId);
    if (!timers || (timers.inactiveAfterMs === undefined && timers.closeAfterMs === undefined)) return;
    const idleMs = since === undefined ? 0 : Math.max(0, Date.now() - Date.parse(since) || 0);
    const entry: Entry = { timers, lastActivity: performance.now() - idleMs, paused };
    this.rooms.set(roomId, entry);
    this.arm(roomId, entry);
  }

  activity(roomId: string): void {
    const entry = this.rooms.get(roomId);
    if (!entry) return;
    entry.lastActivity = performance.now();
    if (entry.paused) {
      entry.paused = false;
      this.arm(roomId, entry);
    }
  }

  unwatch(roomId: string): void {
    const entry = this.rooms.get(roomId);
    if (entry?.handle) clearTimeout(entry.handle);
    this.rooms.delete(roomId);
  }

  stopAll(): void {
    for (const id of [...this.rooms.keys()]) this.unwatch(id);
  }

  private arm(roomId: string, entry: Entry): void {
    if (entry.handle) clearTimeout(entry.handle);
    const due = this.nextDue(entry);
    if (due === undefined) return;
    entry.handle = setTimeout(() => void this.fire(roomId, entry), Math.max(0, due - performance.now()));
    entry.handle.unref();
  }

  private nextDue(entry: Entry): number | undefined {
    const { inactiveAfterMs, closeAfterMs } = entry.timers;
    if (!entry.paused && inactiveAfterMs !== undefined) return entry.lastActivity + inactiveAfterMs;
    if (closeAfterMs !== undefined) return entry.lastActivity + closeAfterMs;
    return undefined;
  }

  private async fire(roomId: string, entry: Entry): Promise<void> {
    entry.handle = undefined;
    if (this.rooms.get(roomId) !== entry) return;
    const due = this.nextDue(entry);
    if (due !== undefined && due > performance.now()) return this.arm(roomId, entry);
    const { inactiveAfterMs, closeAfterMs } = entry.timers;
    if (!entry.paused && inactiveAfterMs !== undefined) {
      entry.paused = true;
      await this.actions.pause(roomId);
      this.arm(roomId, entry);
    } else if (closeAfterMs !== undefined) {
      this.unwatch(roomId);
      await this.actions.close(roomId);
    }
  }
}
