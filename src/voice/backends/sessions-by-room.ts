import { ByRoom } from '../../core/by-room.js';
import type { VoiceSession } from '../types.js';

/**
 * A backend's sessions by id, each room's also indexed, so `listSessions(roomId)` reads one
 * room's calls instead of scanning every call in the process. It is a Map, so backends keep
 * writing `this.sessions.set/delete` as before. A session's room is fixed for its life.
 */
export class SessionsByRoom extends Map<string, VoiceSession> {
  private readonly rooms = new ByRoom<VoiceSession>();

  override set(id: string, session: VoiceSession): this {
    this.unindex(id);
    super.set(id, session);
    this.rooms.add(session.roomId, session);
    return this;
  }

  override delete(id: string): boolean {
    this.unindex(id);
    return super.delete(id);
  }

  override clear(): void {
    for (const id of this.keys()) this.unindex(id);
    super.clear();
  }

  /** The room's sessions, oldest first, as a new array. */
  inRoom(roomId: string): VoiceSession[] {
    return this.rooms.list(roomId);
  }

  private unindex(id: string): void {
    const old = super.get(id);
    if (old) this.rooms.delete(old.roomId, old);
  }
}
