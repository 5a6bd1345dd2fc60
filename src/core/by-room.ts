/**
 * Items (sessions, calls) grouped by the room they are in. A channel delivering a room's
 * event looks up that room's sessions: scanning every session of the process instead made
 * each reply cost O(sessions), so a burst of replies at 1,000 calls cost a million steps.
 */
export class ByRoom<T> {
  private readonly rooms = new Map<string, Set<T>>();

  add(roomId: string, item: T): void {
    let items = this.rooms.get(roomId);
    if (!items) this.rooms.set(roomId, (items = new Set()));
    items.add(item);
  }

  /** Forget `item`; a room left empty is forgotten too (a server sees rooms come and go). */
  delete(roomId: string, item: T): void {
    const items = this.rooms.get(roomId);
    if (!items?.delete(item)) return;
    if (items.size === 0) this.rooms.delete(roomId);
  }

  /** The room's items, in the order they were added (a live view: copy before changing them). */
  in(roomId: string): Iterable<T> {
    return this.rooms.get(roomId) ?? NONE;
  }

  /** The room's items as a new array. */
  list(roomId: string): T[] {
    const items = this.rooms.get(roomId);
    return items ? [...items] : [];
  }
}

const NONE: Iterable<never> = [];
