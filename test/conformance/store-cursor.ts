import { describe, expect, it } from 'vitest';
import type { ConversationStore } from '../../src/store/conversation-store.js';
import { event, expectValidation, room } from './store-fixtures.js';

/**
 * The per-room delivery cursor: the highest index up to which every event has been handled by
 * every channel. After a crash the kit resumes delivery after it, so it must only move forward,
 * survive updates of the room record, and never pass an event that is not committed.
 */
export function deliveryCursorCases(current: () => ConversationStore): void {
  describe('delivery cursor', () => {
    async function roomWith(id: string, events: number): Promise<void> {
      const store = current();
      await store.createRoom(room(id));
      for (let i = 0; i < events; i++) await store.addEvent(event(id, i));
    }

    it('starts at -1 (nothing delivered), moves forward and never back', async () => {
      const store = current();
      await roomWith('r', 5);
      expect(await store.getDeliveryCursor('r')).toBe(-1);
      await store.advanceDeliveryCursor('r', 2);
      expect(await store.getDeliveryCursor('r')).toBe(2);
      await store.advanceDeliveryCursor('r', 1);
      expect(await store.getDeliveryCursor('r')).toBe(2);
      await store.advanceDeliveryCursor('r', 4);
      expect(await store.getDeliveryCursor('r')).toBe(4);
      expect(await store.getDeliveryCursor('ghost')).toBe(-1);
    });

    it('refuses a cursor past the last committed event, a bad index and an unknown room', async () => {
      const store = current();
      await roomWith('r', 2);
      await expectValidation(store.advanceDeliveryCursor('r', 2));
      await expectValidation(store.advanceDeliveryCursor('r', 0.5));
      await expectValidation(store.advanceDeliveryCursor('r', Number.NaN));
      await expectValidation(store.advanceDeliveryCursor('ghost', 0));
      expect(await store.getDeliveryCursor('r')).toBe(-1);
    });

    it('is not rolled back by updateRoom with a stale copy, and goes with deleteRoom', async () => {
      const store = current();
      await roomWith('r', 3);
      const stale = (await store.getRoom('r'))!;
      await store.advanceDeliveryCursor('r', 2);
      await store.updateRoom({ ...stale, status: 'paused' });
      expect(await store.getDeliveryCursor('r')).toBe(2);
      await store.deleteRoom('r');
      expect(await store.getDeliveryCursor('r')).toBe(-1);
      await roomWith('r', 1);
      expect(await store.getDeliveryCursor('r')).toBe(-1);
    });

    it('lists the rooms whose cursor is behind their last event, in creation order', async () => {
      const store = current();
      await roomWith('empty', 0);
      await roomWith('behind', 3);
      await roomWith('caught-up', 2);
      await roomWith('closed-behind', 1);
      await store.advanceDeliveryCursor('caught-up', 1);
      await store.advanceDeliveryCursor('behind', 0);
      const closed = (await store.getRoom('closed-behind'))!;
      await store.updateRoom({ ...closed, status: 'closed' });
      // Closed rooms are listed too: what was committed before closing is still owed.
      expect(await store.listUndeliveredRooms()).toEqual(['behind', 'closed-behind']);
      await store.advanceDeliveryCursor('behind', 2);
      await store.advanceDeliveryCursor('closed-behind', 0);
      expect(await store.listUndeliveredRooms()).toEqual([]);
      await store.addEvent(event('caught-up', 2));
      expect(await store.listUndeliveredRooms()).toEqual(['caught-up']);
    });
  });
}
