import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Room, RoomEvent } from '../../src/models/index.js';
import type { ConversationStore } from '../../src/store/conversation-store.js';
import { deliveryCursorCases } from './store-cursor.js';
import {
  ALL_CONTENT,
  binding,
  event,
  expectValidation,
  NESTED_METADATA,
  participant,
  room,
  tick,
} from './store-fixtures.js';
import { storeInputCases } from './store-inputs.js';

/**
 * The contract every ConversationStore runs (memory, SQLite, and any store added later): the
 * cases here, what a store must accept and refuse (store-inputs.ts), and the delivery cursor
 * (store-cursor.ts).
 */

export function runStoreConformance(
  name: string,
  makeStore: () => Promise<ConversationStore>,
  dispose: (store: ConversationStore) => Promise<void> = (s) => s.close(),
): void {
  describe(`ConversationStore conformance: ${name}`, () => {
    let store: ConversationStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await dispose(store);
    });

    /** Adds `n` events to a room whose timeline is empty. */
    async function fill(roomId: string, n: number): Promise<RoomEvent[]> {
      const out: RoomEvent[] = [];
      for (let i = 0; i < n; i++) {
        const e = event(roomId, i);
        await store.addEvent(e);
        out.push(e);
      }
      return out;
    }

    describe('rooms', () => {
      it('round-trips a room with every optional field, and one with none', async () => {
        const full = room('full', {
          status: 'paused',
          organizationId: 'org-1',
          metadata: NESTED_METADATA,
          timers: { inactiveAfterMs: 1000, closeAfterMs: 5000 },
          closedAt: '2024-02-01T00:00:00.000Z',
          lastActivityAt: '2024-01-31T00:00:00.000Z',
        });
        const bare = room('bare');
        await store.createRoom(full);
        await store.createRoom(bare);
        expect(await store.getRoom('full')).toStrictEqual(full);
        expect(await store.getRoom('bare')).toStrictEqual(bare);
        expect(await store.getRoom('nope')).toBeUndefined();
      });

      it('rejects a duplicate room id and keeps the first', async () => {
        const first = room('r', { metadata: { v: 1 } });
        await store.createRoom(first);
        await expectValidation(store.createRoom(room('r', { metadata: { v: 2 } })));
        expect(await store.getRoom('r')).toStrictEqual(first);
      });

      it('starts a new room at eventCount 0 even if the caller passed another count', async () => {
        await store.createRoom(room('r', { eventCount: 7 }));
        expect((await store.getRoom('r'))?.eventCount).toBe(0);
        await store.addEvent(event('r', 0));
        expect((await store.getRoom('r'))?.eventCount).toBe(1);
      });

      it('updates fields, removes cleared optional fields, rejects unknown rooms', async () => {
        const r = room('r', { organizationId: 'o', closedAt: tick(), status: 'closed' });
        await store.createRoom(r);
        const reopened: Room = { ...r, status: 'active', metadata: { x: [1] }, updatedAt: tick() };
        delete reopened.closedAt;
        delete reopened.organizationId;
        await store.updateRoom(reopened);
        expect(await store.getRoom('r')).toStrictEqual(reopened);
        await expectValidation(store.updateRoom(room('ghost')));
        expect(await store.getRoom('ghost')).toBeUndefined();
      });

      it('updateRoom with a stale copy does not roll back eventCount or lastActivityAt', async () => {
        await store.createRoom(room('r'));
        const stale = (await store.getRoom('r'))!;
        const events = await fill('r', 3);
        await store.updateRoom({ ...stale, status: 'paused', metadata: { k: 'v' } });
        const after = (await store.getRoom('r'))!;
        expect(after.status).toBe('paused');
        expect(after.metadata).toStrictEqual({ k: 'v' });
        expect(after.eventCount).toBe(3);
        expect(after.lastActivityAt).toBe(events[2].createdAt);
        await store.addEvent(event('r', 3));
        expect(await store.countEvents('r')).toBe(4);
      });

      it('returns copies: mutating a returned room does not change the store', async () => {
        await store.createRoom(room('r'));
        const got = (await store.getRoom('r'))!;
        got.status = 'closed';
        got.eventCount = 99;
        expect((await store.getRoom('r'))?.status).toBe('active');
        expect((await store.getRoom('r'))?.eventCount).toBe(0);
      });

      it('deleteRoom removes the room with its bindings, participants and events', async () => {
        await store.createRoom(room('r'));
        await store.saveBinding(binding('r', 'ws'));
        await store.saveParticipant(participant('r', 'u1'));
        await store.addEvent(event('r', 0, { idempotencyKey: 'k' }));
        await store.deleteRoom('r');
        await store.deleteRoom('r'); // deleting twice is harmless
        expect(await store.getRoom('r')).toBeUndefined();
        expect(await store.listBindings('r')).toEqual([]);
        expect(await store.listParticipants('r')).toEqual([]);
        expect(await store.listEvents('r')).toEqual([]);
        expect(await store.countEvents('r')).toBe(0);
        expect(await store.findEventByIdempotencyKey('r', 'k')).toBeUndefined();
        expect(await store.findRoomIds({ channelId: 'ws' })).toEqual([]);
        // The id is free again and the new timeline starts from 0.
        await store.createRoom(room('r'));
        await store.addEvent(event('r', 0, { id: 'fresh-0', idempotencyKey: 'k' }));
        expect((await store.listEvents('r')).map((e) => e.id)).toEqual(['fresh-0']);
      });

      it('lists rooms by createdAt, ties in creation order, with filters and paging', async () => {
        const early = '2020-01-01T00:00:00.000Z';
        await store.createRoom(room('c', { organizationId: 'o1' }));
        await store.createRoom(room('a', { createdAt: early, status: 'closed', organizationId: 'o2' }));
        await store.createRoom(room('b', { createdAt: early, organizationId: 'o1' }));
        await store.createRoom(room('d', { status: 'closed', organizationId: 'o1' }));
        await store.createRoom(room('e'));
        const ids = async (q?: Parameters<ConversationStore['listRooms']>[0]) =>
          (await store.listRooms(q)).map((r) => r.id);
        expect(await ids()).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect(await ids({ status: 'closed' })).toEqual(['a', 'd']);
        expect(await ids({ status: 'paused' })).toEqual([]);
        expect(await ids({ organizationId: 'o1' })).toEqual(['b', 'c', 'd']);
        expect(await ids({ organizationId: 'o1', status: 'active' })).toEqual(['b', 'c']);
        expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
        expect(await ids({ limit: 2, offset: 2 })).toEqual(['c', 'd']);
        expect(await ids({ offset: 3 })).toEqual(['d', 'e']);
        expect(await ids({ offset: 9 })).toEqual([]);
        expect(await ids({ limit: 0 })).toEqual([]);
        expect(await ids({ organizationId: 'o1', limit: 1, offset: 1 })).toEqual(['c']);
        expect((await store.listRooms({ status: 'closed' }))[1]).toStrictEqual(await store.getRoom('d'));
      });
    });

    describe('bindings', () => {
      it('saves, upserts in place, lists in attach order, removes', async () => {
        await store.createRoom(room('r'));
        const ws = binding('r', 'ws', {
          participantId: 'u1',
          visibility: ['ai', 'sms'],
          metadata: NESTED_METADATA,
        });
        const ai = binding('r', 'ai', { channelType: 'ai', category: 'intelligence', access: 'read_only' });
        await store.saveBinding(ws);
        await store.saveBinding(ai);
        expect(await store.listBindings('r')).toStrictEqual([ws, ai]);
        const mutedWs = { ...ws, muted: true, access: 'write_only' as const, visibility: 'intelligence' };
        delete mutedWs.participantId;
        await store.saveBinding(mutedWs);
        expect(await store.listBindings('r')).toStrictEqual([mutedWs, ai]);
        await store.removeBinding('r', 'ws');
        await store.removeBinding('r', 'never-attached');
        await store.removeBinding('ghost', 'ws');
        expect(await store.listBindings('r')).toStrictEqual([ai]);
        expect(await store.listBindings('ghost')).toEqual([]);
      });

      it('rejects a binding for an unknown room', async () => {
        await expectValidation(store.saveBinding(binding('ghost', 'ws')));
        expect(await store.listBindings('ghost')).toEqual([]);
      });

      it('findRoomIds by channel skips closed and archived rooms, keeps paused ones', async () => {
        for (const [id, status] of [
          ['r1', 'active'],
          ['r2', 'closed'],
          ['r3', 'paused'],
          ['r4', 'archived'],
          ['r5', 'active'],
        ] as const) {
          await store.createRoom(room(id, { status }));
          await store.saveBinding(binding(id, id === 'r5' ? 'sms' : 'ws'));
        }
        expect(await store.findRoomIds({ channelId: 'ws' })).toEqual(['r1', 'r3']);
        expect(await store.findRoomIds({ channelId: 'sms' })).toEqual(['r5']);
        expect(await store.findRoomIds({ channelId: 'email' })).toEqual([]);
        await store.removeBinding('r1', 'ws');
        expect(await store.findRoomIds({ channelId: 'ws' })).toEqual(['r3']);
        const r3 = (await store.getRoom('r3'))!;
        await store.updateRoom({ ...r3, status: 'closed' });
        expect(await store.findRoomIds({ channelId: 'ws' })).toEqual([]);
      });

      it('findRoomIds with a participant only returns rooms that participant is in', async () => {
        for (const id of ['r1', 'r2', 'r3']) {
          await store.createRoom(room(id));
          await store.saveBinding(binding(id, 'sms'));
        }
        await store.saveParticipant(participant('r1', 'alice'));
        await store.saveParticipant(participant('r3', 'alice'));
        await store.saveParticipant(participant('r2', 'bob'));
        expect(await store.findRoomIds({ channelId: 'sms', participantId: 'alice' })).toEqual(['r1', 'r3']);
        expect(await store.findRoomIds({ channelId: 'sms', participantId: 'bob' })).toEqual(['r2']);
        expect(await store.findRoomIds({ channelId: 'sms', participantId: 'carol' })).toEqual([]);
        expect(await store.findRoomIds({ channelId: 'ws', participantId: 'alice' })).toEqual([]);
        await store.removeParticipant('r1', 'alice');
        expect(await store.findRoomIds({ channelId: 'sms', participantId: 'alice' })).toEqual(['r3']);
      });
    });

    describe('participants', () => {
      it('saves, gets, upserts, lists in join order, removes', async () => {
        await store.createRoom(room('r'));
        const alice = participant('r', 'alice', {
          displayName: 'Alice',
          channelId: 'ws',
          role: 'owner',
          identified: true,
          metadata: NESTED_METADATA,
        });
        const bot = participant('r', 'bot', { role: 'agent' });
        await store.saveParticipant(alice);
        await store.saveParticipant(bot);
        expect(await store.getParticipant('r', 'alice')).toStrictEqual(alice);
        expect(await store.getParticipant('r', 'bot')).toStrictEqual(bot);
        expect(await store.getParticipant('r', 'nobody')).toBeUndefined();
        expect(await store.getParticipant('ghost', 'alice')).toBeUndefined();
        const renamed = { ...alice, displayName: 'Al', identified: false };
        await store.saveParticipant(renamed);
        expect(await store.listParticipants('r')).toStrictEqual([renamed, bot]);
        await store.removeParticipant('r', 'alice');
        await store.removeParticipant('r', 'alice');
        expect(await store.listParticipants('r')).toStrictEqual([bot]);
        expect(await store.listParticipants('ghost')).toEqual([]);
      });

      it('rejects a participant for an unknown room', async () => {
        await expectValidation(store.saveParticipant(participant('ghost', 'u')));
      });
    });

    describe('events', () => {
      beforeEach(async () => {
        await store.createRoom(room('r'));
      });

      it('commits in index order and advances eventCount and lastActivityAt', async () => {
        const e0 = event('r', 0);
        await store.addEvent(e0);
        expect(await store.getRoom('r')).toMatchObject({ eventCount: 1, lastActivityAt: e0.createdAt });
        const e1 = event('r', 1);
        await store.addEvent(e1);
        expect(await store.getRoom('r')).toMatchObject({ eventCount: 2, lastActivityAt: e1.createdAt });
        expect(await store.countEvents('r')).toBe(2);
        expect(await store.listEvents('r')).toStrictEqual([e0, e1]);
      });

      it('rejects a gap, a repeat, a duplicate id and an unknown room, leaving the room unchanged', async () => {
        const events = await fill('r', 2);
        const before = await store.getRoom('r');
        await expectValidation(store.addEvent(event('r', 3)));
        await expectValidation(store.addEvent(event('r', 1, { id: 'repeat' })));
        await expectValidation(store.addEvent(event('r', 0, { id: 'repeat-0' })));
        await expectValidation(store.addEvent(event('r', -1, { id: 'negative' })));
        await expectValidation(store.addEvent(event('r', 2, { id: events[0].id })));
        await expectValidation(store.addEvent(event('ghost', 0)));
        expect(await store.getRoom('r')).toStrictEqual(before);
        expect(await store.countEvents('r')).toBe(2);
        expect(await store.listEvents('r')).toStrictEqual(events);
        expect(await store.getRoom('ghost')).toBeUndefined();
        // The slot that failed is still free.
        await store.addEvent(event('r', 2));
        expect(await store.countEvents('r')).toBe(3);
      });

      it('finds events by idempotency key and rejects a duplicate key in the same room', async () => {
        await store.createRoom(room('other'));
        const keyed = event('r', 0, { idempotencyKey: 'msg-1' });
        await store.addEvent(keyed);
        await store.addEvent(event('r', 1));
        expect(await store.findEventByIdempotencyKey('r', 'msg-1')).toStrictEqual(keyed);
        expect(await store.findEventByIdempotencyKey('r', 'msg-2')).toBeUndefined();
        expect(await store.findEventByIdempotencyKey('other', 'msg-1')).toBeUndefined();
        const before = await store.getRoom('r');
        await expectValidation(store.addEvent(event('r', 2, { idempotencyKey: 'msg-1' })));
        expect(await store.getRoom('r')).toStrictEqual(before);
        expect(await store.getEvent('r', 'r-ev-2')).toBeUndefined();
        // Keys are scoped to a room; events without a key never collide.
        await store.addEvent(event('other', 0, { idempotencyKey: 'msg-1' }));
        await store.addEvent(event('r', 2));
        expect((await store.findEventByIdempotencyKey('other', 'msg-1'))?.id).toBe('other-ev-0');
        expect(await store.countEvents('r')).toBe(3);
      });

      it('gets an event by id within its own room only', async () => {
        const events = await fill('r', 3);
        await store.createRoom(room('other'));
        expect(await store.getEvent('r', events[1].id)).toStrictEqual(events[1]);
        expect(await store.getEvent('r', 'missing')).toBeUndefined();
        expect(await store.getEvent('other', events[1].id)).toBeUndefined();
        expect(await store.getEvent('ghost', events[1].id)).toBeUndefined();
      });

      it('lists forward and backward with limit, afterIndex and beforeIndex, always ascending', async () => {
        await fill('r', 10);
        const idx = async (q?: Parameters<ConversationStore['listEvents']>[1]) =>
          (await store.listEvents('r', q)).map((e) => e.index);
        expect(await idx()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await idx({ direction: 'backward' })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await idx({ limit: 3 })).toEqual([0, 1, 2]);
        expect(await idx({ limit: 3, direction: 'forward' })).toEqual([0, 1, 2]);
        expect(await idx({ limit: 3, direction: 'backward' })).toEqual([7, 8, 9]);
        expect(await idx({ afterIndex: 6 })).toEqual([7, 8, 9]);
        expect(await idx({ beforeIndex: 3 })).toEqual([0, 1, 2]);
        expect(await idx({ afterIndex: 2, beforeIndex: 6 })).toEqual([3, 4, 5]);
        expect(await idx({ afterIndex: 2, beforeIndex: 8, limit: 2 })).toEqual([3, 4]);
        expect(await idx({ afterIndex: 2, beforeIndex: 8, limit: 2, direction: 'backward' })).toEqual([6, 7]);
        expect(await idx({ beforeIndex: 5, limit: 2, direction: 'backward' })).toEqual([3, 4]);
        expect(await idx({ afterIndex: 7, limit: 5 })).toEqual([8, 9]);
        expect(await idx({ limit: 50, direction: 'backward' })).toHaveLength(10);
        expect(await idx({ limit: 0 })).toEqual([]);
        expect(await idx({ afterIndex: 9 })).toEqual([]);
        expect(await idx({ beforeIndex: 0 })).toEqual([]);
        expect(await idx({ afterIndex: 5, beforeIndex: 5 })).toEqual([]);
        expect(await idx({ afterIndex: -1, beforeIndex: 100 })).toHaveLength(10);
        expect(await store.listEvents('ghost')).toEqual([]);
        expect(await store.listEvents('ghost', { direction: 'backward', limit: 3 })).toEqual([]);
      });

      it('returns the last 10 events of a 5,000-event room', async () => {
        const n = 5000;
        await fill('r', n);
        const last = await store.listEvents('r', { direction: 'backward', limit: 10 });
        expect(last.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => n - 10 + i));
        expect(last.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `r-ev-${n - 10 + i}`));
        expect(last[9].content).toStrictEqual({ type: 'text', body: `message ${n - 1}` });
        const page = await store.listEvents('r', { direction: 'backward', limit: 10, beforeIndex: 2500 });
        expect(page.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 2490 + i));
        expect(await store.countEvents('r')).toBe(n);
        expect((await store.getRoom('r'))?.eventCount).toBe(n);
      });

      it('counts events per room, 0 for unknown rooms', async () => {
        expect(await store.countEvents('r')).toBe(0);
        await fill('r', 4);
        expect(await store.countEvents('r')).toBe(4);
        expect(await store.countEvents('ghost')).toBe(0);
      });

      it('round-trips every content type, nested metadata and both visibility shapes', async () => {
        const visibilities = ['all', 'none', 'transport', 'intelligence', 'ws,sms', ['ws', 'ai'], []];
        const sent: RoomEvent[] = [];
        let i = 0;
        for (const content of ALL_CONTENT) {
          sent.push(event('r', i, { content, visibility: visibilities[i % visibilities.length] }));
          i++;
        }
        for (const visibility of visibilities) sent.push(event('r', i++, { visibility }));
        sent.push(event('r', i++, { metadata: NESTED_METADATA }));
        for (const e of sent) await store.addEvent(e);
        const got = await store.listEvents('r');
        expect(got).toStrictEqual(sent);
        for (const e of sent) expect(await store.getEvent('r', e.id)).toStrictEqual(e);
        expect(Array.isArray(got[ALL_CONTENT.length + 5].visibility)).toBe(true);
        expect(typeof got[ALL_CONTENT.length + 4].visibility).toBe('string');
      });

      it('keeps optional event fields when present and absent when absent', async () => {
        const full = event('r', 0, {
          type: 'audit',
          source: { channelId: 'ai', channelType: 'ai', participantId: 'bot' },
          status: 'blocked',
          blockedBy: 'spam-hook',
          chainDepth: 2,
          idempotencyKey: 'k-1',
          targetChannelIds: ['ws', 'sms'],
          responseTo: 'some-event',
        });
        const bare = event('r', 1);
        await store.addEvent(full);
        await store.addEvent(bare);
        const [gotFull, gotBare] = await store.listEvents('r');
        expect(gotFull).toStrictEqual(full);
        expect(gotBare).toStrictEqual(bare);
        for (const key of ['blockedBy', 'idempotencyKey', 'targetChannelIds', 'responseTo']) {
          expect(Object.hasOwn(gotBare, key)).toBe(false);
        }
        expect(Object.hasOwn(gotBare.source, 'participantId')).toBe(false);
      });

      it('keeps rooms isolated from each other', async () => {
        await store.createRoom(room('other'));
        await store.addEvent(event('r', 0));
        await store.addEvent(event('other', 0));
        await store.addEvent(event('other', 1));
        await store.addEvent(event('r', 1));
        await store.saveBinding(binding('r', 'ws', { muted: true }));
        await store.saveBinding(binding('other', 'ws'));
        await store.saveParticipant(participant('other', 'u', { displayName: 'Other' }));
        expect((await store.listEvents('r')).map((e) => e.id)).toEqual(['r-ev-0', 'r-ev-1']);
        expect((await store.listEvents('other')).map((e) => e.id)).toEqual(['other-ev-0', 'other-ev-1']);
        expect((await store.listEvents('r', { direction: 'backward', limit: 1 }))[0].id).toBe('r-ev-1');
        expect(await store.countEvents('other')).toBe(2);
        expect((await store.listBindings('r'))[0].muted).toBe(true);
        expect((await store.listBindings('other'))[0].muted).toBe(false);
        expect(await store.listParticipants('r')).toEqual([]);
        await store.deleteRoom('other');
        expect(await store.countEvents('r')).toBe(2);
        expect(await store.listBindings('r')).toHaveLength(1);
      });
    });

    storeInputCases(() => store);
    deliveryCursorCases(() => store);
  });
}
