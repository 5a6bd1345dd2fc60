import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/models/index.js';
import type { ConversationStore } from '../../src/store/conversation-store.js';
import { binding, event, expectValidation, participant, room } from './store-fixtures.js';

/**
 * What every store accepts and refuses, and that it never aliases the caller's objects.
 * Every store must give the same answer for the same input: a value that cannot be stored as
 * JSON (a cycle, a BigInt, NaN, a function, a Map) is a ValidationError and nothing is written,
 * whatever the store's own serialisation would have done with it.
 */
export function storeInputCases(current: () => ConversationStore): void {
  describe('inputs every store treats alike', () => {
    const circular = () => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    };

    /** A bad event is refused and the slot it tried to take is still free. */
    async function refusesEvent(bad: RoomEvent): Promise<void> {
      const store = current();
      await expectValidation(store.addEvent(bad));
      expect(await store.countEvents(bad.roomId)).toBe(bad.index);
      expect(await store.getEvent(bad.roomId, bad.id)).toBeUndefined();
      expect((await store.getRoom(bad.roomId))?.eventCount).toBe(bad.index);
      const good = event(bad.roomId, bad.index, { id: `${bad.id}-retry` });
      await store.addEvent(good);
      expect(await store.getEvent(bad.roomId, good.id)).toStrictEqual(good);
    }

    it('refuses circular content and circular metadata', async () => {
      await current().createRoom(room('r'));
      const content = { type: 'system', code: 'x', data: circular() } as unknown as RoomEvent['content'];
      await refusesEvent(event('r', 0, { id: 'c1', content }));
      await refusesEvent(event('r', 1, { id: 'c2', metadata: circular() }));
    });

    it('refuses BigInt, NaN, Infinity, functions, symbols and Maps in metadata', async () => {
      await current().createRoom(room('r'));
      const bad: unknown[] = [
        10n,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        () => 1,
        Symbol('s'),
        new Map([['a', 1]]),
        [1, undefined],
      ];
      let i = 0;
      for (const value of bad) {
        await refusesEvent(event('r', i, { id: `bad-${i}`, metadata: { nested: { value } } }));
        i++;
      }
    });

    it('refuses an idempotency key that is not a string', async () => {
      await current().createRoom(room('r'));
      for (const [i, key] of [{ k: 1 }, 42, ['a']].entries()) {
        await refusesEvent(event('r', i, { id: `key-${i}`, idempotencyKey: key as unknown as string }));
      }
      expect(await current().findEventByIdempotencyKey('r', '[object Object]')).toBeUndefined();
    });

    it('refuses events whose fields have the wrong types', async () => {
      await current().createRoom(room('r'));
      const wrong: Partial<Record<keyof RoomEvent, unknown>>[] = [
        { id: 7 },
        { index: 0.5 },
        { chainDepth: -1 },
        { createdAt: 5 },
        { source: 'ws' },
        { content: null },
        { metadata: [] },
        { visibility: 3 },
        { targetChannelIds: 'ws' },
      ];
      for (const [i, patch] of wrong.entries()) {
        const bad = { ...event('r', 0, { id: `wrong-${i}` }), ...patch } as RoomEvent;
        await expectValidation(current().addEvent(bad));
      }
      expect(await current().countEvents('r')).toBe(0);
    });

    it('stores dates as ISO strings and drops undefined properties, like JSON', async () => {
      const store = current();
      await store.createRoom(room('r'));
      const at = new Date(Date.UTC(2024, 4, 1, 12));
      const e = event('r', 0, {
        metadata: { at, gone: undefined, kept: null },
        content: { type: 'text', body: 'b', language: undefined },
        blockedBy: undefined,
      });
      await store.addEvent(e);
      const got = (await store.getEvent('r', e.id))!;
      expect(got.metadata).toStrictEqual({ at: at.toISOString(), kept: null });
      expect(got.content).toStrictEqual({ type: 'text', body: 'b' });
      expect(Object.hasOwn(got, 'blockedBy')).toBe(false);
    });

    it('refuses rooms, bindings and participants whose metadata cannot be stored', async () => {
      const store = current();
      await expectValidation(store.createRoom(room('bad', { metadata: { n: 1n } })));
      expect(await store.getRoom('bad')).toBeUndefined();
      await store.createRoom(room('r', { metadata: { v: 1 } }));
      const before = await store.getRoom('r');
      await expectValidation(store.updateRoom({ ...before!, metadata: circular() }));
      expect(await store.getRoom('r')).toStrictEqual(before);
      await expectValidation(store.saveBinding(binding('r', 'ws', { metadata: { f: () => 1 } })));
      await expectValidation(store.saveBinding(binding('r', 'ws', { deliveryTimeoutMs: 0 })));
      expect(await store.listBindings('r')).toEqual([]);
      await expectValidation(store.saveParticipant(participant('r', 'u', { metadata: circular() })));
      expect(await store.listParticipants('r')).toEqual([]);
    });

    it('does not alias what it was given: mutating the input afterwards changes nothing stored', async () => {
      const store = current();
      const r = room('r', { metadata: { tags: ['a'] } });
      await store.createRoom(r);
      (r.metadata.tags as string[]).push('mutated');
      const e = event('r', 0, {
        idempotencyKey: 'k',
        metadata: { nested: { n: 1 } },
        targetChannelIds: ['ws'],
        source: { channelId: 'ws', channelType: 'websocket', participantId: 'u1' },
      });
      await store.addEvent(e);
      (e.content as { body: string }).body = 'mutated';
      (e.metadata.nested as { n: number }).n = 2;
      e.source.participantId = 'mallory';
      (e.targetChannelIds as string[]).push('sms');
      e.status = 'blocked';
      const b = binding('r', 'ws', {
        metadata: { deep: { x: 1 } },
        visibility: ['ai'],
        deliveryTimeoutMs: 2500,
      });
      await store.saveBinding(b);
      (b.metadata.deep as { x: number }).x = 2;
      (b.visibility as string[]).push('sms');
      const p = participant('r', 'u', { metadata: { deep: { x: 1 } } });
      await store.saveParticipant(p);
      (p.metadata.deep as { x: number }).x = 2;

      expect((await store.getRoom('r'))?.metadata).toStrictEqual({ tags: ['a'] });
      const stored = (await store.getEvent('r', e.id))!;
      expect(stored.content).toStrictEqual({ type: 'text', body: 'message 0' });
      expect(stored.metadata).toStrictEqual({ nested: { n: 1 } });
      expect(stored.source.participantId).toBe('u1');
      expect(stored.targetChannelIds).toStrictEqual(['ws']);
      expect(stored.status).toBe('delivered');
      expect((await store.listBindings('r'))[0]).toMatchObject({
        metadata: { deep: { x: 1 } },
        visibility: ['ai'],
        deliveryTimeoutMs: 2500,
      });
      expect((await store.getParticipant('r', 'u'))?.metadata).toStrictEqual({ deep: { x: 1 } });
    });

    it('does not alias what it returns: mutating a read changes nothing stored', async () => {
      const store = current();
      await store.createRoom(room('r', { metadata: { deep: { x: 1 } } }));
      await store.addEvent(event('r', 0, { idempotencyKey: 'k', metadata: { deep: { x: 1 } } }));
      await store.saveBinding(binding('r', 'ws', { metadata: { deep: { x: 1 } } }));
      await store.saveParticipant(participant('r', 'u', { metadata: { deep: { x: 1 } } }));
      const reads = [
        (await store.getRoom('r'))!.metadata,
        (await store.listRooms())[0]!.metadata,
        (await store.listEvents('r'))[0]!.metadata,
        (await store.listEvents('r', { direction: 'backward', limit: 1 }))[0]!.metadata,
        (await store.getEvent('r', 'r-ev-0'))!.metadata,
        (await store.findEventByIdempotencyKey('r', 'k'))!.metadata,
        (await store.listBindings('r'))[0]!.metadata,
        (await store.getParticipant('r', 'u'))!.metadata,
        (await store.listParticipants('r'))[0]!.metadata,
      ];
      for (const m of reads) (m.deep as { x: number }).x = 99;
      const events = await store.listEvents('r');
      events[0]!.content = { type: 'text', body: 'mutated' };
      expect((await store.getRoom('r'))!.metadata).toStrictEqual({ deep: { x: 1 } });
      expect((await store.getEvent('r', 'r-ev-0'))!.metadata).toStrictEqual({ deep: { x: 1 } });
      expect((await store.getEvent('r', 'r-ev-0'))!.content).toStrictEqual({
        type: 'text',
        body: 'message 0',
      });
      expect((await store.listBindings('r'))[0]!.metadata).toStrictEqual({ deep: { x: 1 } });
      expect((await store.getParticipant('r', 'u'))!.metadata).toStrictEqual({ deep: { x: 1 } });
    });
  });
}
