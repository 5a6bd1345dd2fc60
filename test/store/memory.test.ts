import { describe, expect, it } from 'vitest';
import type { ListEventsQuery } from '../../src/store/conversation-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { runStoreConformance } from '../conformance/store.js';
import { event, room } from '../conformance/store-fixtures.js';

runStoreConformance('memory', async () => new MemoryStore());

describe('MemoryStore.readEvents (the AI context read, without copies)', () => {
  it('returns what listEvents does for every query shape', async () => {
    const store = new MemoryStore();
    await store.createRoom(room('r'));
    for (let i = 0; i < 10; i++) await store.addEvent(event('r', i));
    const queries: (ListEventsQuery | undefined)[] = [
      undefined,
      { limit: 3, direction: 'backward' },
      { afterIndex: 2, beforeIndex: 8, limit: 2, direction: 'backward' },
      { beforeIndex: 5, limit: 30, direction: 'backward' },
      { afterIndex: 9 },
      { limit: 0 },
    ];
    for (const q of queries)
      expect(await store.readEvents('r', q)).toStrictEqual(await store.listEvents('r', q));
    expect(await store.readEvents('ghost', { direction: 'backward', limit: 3 })).toEqual([]);
  });

  it('hands out the stored events, while listEvents still hands out copies', async () => {
    const store = new MemoryStore();
    await store.createRoom(room('r'));
    await store.addEvent(event('r', 0));
    const [read] = await store.readEvents('r');
    const [again] = await store.readEvents('r');
    const [listed] = await store.listEvents('r');
    expect(again).toBe(read);
    expect(listed).not.toBe(read);
    expect(listed).toStrictEqual(read);
  });
});
