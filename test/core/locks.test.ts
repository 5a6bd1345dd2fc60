import { afterEach, describe, expect, it } from 'vitest';
import {
  HookResult,
  HookTrigger,
  InMemoryLockManager,
  RoomKit,
  type RoomEvent,
  type RoomKitOptions,
} from '../../src/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';

describe('InMemoryLockManager', () => {
  it('serialises callers of the same key and lets different keys run together', async () => {
    const locks = new InMemoryLockManager();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      locks.withLock(key, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([job('a', 'a1', 20), job('a', 'a2', 1), job('b', 'b1', 1)]);
    expect(log.indexOf('a1-')).toBeLessThan(log.indexOf('a2+'));
    expect(log.indexOf('b1-')).toBeLessThan(log.indexOf('a1-'));
  });

  it('is re-entrant inside the section but not for work that outlives it', async () => {
    const locks = new InMemoryLockManager();
    let later!: Promise<boolean>;
    await locks.withLock('k', async () => {
      expect(await locks.withLock('k', async () => locks.isHeld('k'))).toBe(true);
      later = new Promise((resolve) => setTimeout(() => resolve(locks.isHeld('k')), 5));
    });
    expect(await later).toBe(false);
  });
});

describe('re-entrant kit calls', () => {
  let kit: RoomKit;
  afterEach(async () => kit?.close());

  it('a hook that posts into its own room does not deadlock', async () => {
    kit = await kitWithRooms({}, 'r');
    kit.hook(HookTrigger.BEFORE_BROADCAST, async (e: RoomEvent) => {
      if (e.source.channelId === 'a' && (e.content as { body: string }).body === 'ping') {
        await kit.sendEvent('r', 'b', text('pong from hook'), { metadata: {} });
      }
      return HookResult.allow();
    });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('ping') });
    expect(r.blocked).toBe(false);
    const events = await kit.store.listEvents('r');
    expect(events.map((e) => [e.index, (e.content as { body: string }).body])).toEqual([
      [0, 'pong from hook'],
      [1, 'ping'],
    ]);
  });
});

describe('locked sections (withSection)', () => {
  it('runs the framework part without owning: only code handed to asOwner is re-entrant', async () => {
    const locks = new InMemoryLockManager();
    const order: string[] = [];
    let fromFramework!: Promise<void>;
    await locks.withSection('k', async (section) => {
      // Started by the section's own code, not through asOwner: it must wait for the release.
      fromFramework = locks.withLock('k', async () => void order.push('framework call'));
      const nested = await section.asOwner(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return locks.withLock('k', async () => locks.isHeld('k'));
      });
      expect(nested).toBe(true);
      order.push('section end');
    });
    await fromFramework;
    expect(order).toEqual(['section end', 'framework call']);
  });

  it('keeps an outer room held inside a nested one (room A -> room B -> room A is re-entrant)', async () => {
    const locks = new InMemoryLockManager();
    const result = await locks.withSection('a', (outer) =>
      outer.asOwner(() =>
        locks.withSection('b', (inner) => inner.asOwner(() => locks.withLock('a', async () => 'reached a'))),
      ),
    );
    expect(result).toBe('reached a');
  });

  it('a section that throws synchronously releases the lock', async () => {
    const locks = new InMemoryLockManager();
    await expect(
      locks.withSection('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(locks.withLock('k', async () => 'free')).resolves.toBe('free');
  });
});

describe('the pre-commit deadline', () => {
  afterEach(async () => kit?.close());
  let kit: RoomKit;

  it('covers the wait for a busy room: past processTimeoutMs the caller hears timeout, nothing is stored', async () => {
    const locks = new InMemoryLockManager();
    kit = await kitWithRooms({ lockManager: locks, processTimeoutMs: 100 }, 'r');
    const b = kit.getChannel<RecordingChannel>('b')!;
    let release!: () => void;
    const holding = locks.withLock('r', () => new Promise<void>((r) => (release = r)));
    const started = performance.now();
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('waits') });
    expect(r).toEqual({ blocked: true, reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
    release();
    await holding;
    const next = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('next') });
    expect(next.event?.index).toBe(0);
    expect((await kit.store.listEvents('r')).map((e) => (e.content as { body: string }).body)).toEqual([
      'next',
    ]);
    expect(b.texts()).toEqual(['next']);
  });

  it('a hook in room A posting into room B whose hook posts back into A does not deadlock', async () => {
    kit = await kitWithRooms({ processTimeoutMs: 5_000 }, 'A', 'B');
    kit.hook(HookTrigger.BEFORE_BROADCAST, async (e: RoomEvent) => {
      const body = (e.content as { body: string }).body;
      if (e.roomId === 'A' && body === 'start') await kit.sendEvent('B', 'a', text('to B'));
      if (e.roomId === 'B' && body === 'to B') await kit.sendEvent('A', 'a', text('back to A'));
      return HookResult.allow();
    });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'A', content: text('start') });
    expect(r.blocked).toBe(false);
    const bodies = async (room: string) =>
      (await kit.store.listEvents(room)).map((e) => (e.content as { body: string }).body);
    expect(await bodies('A')).toEqual(['back to A', 'start']);
    expect(await bodies('B')).toEqual(['to B']);
  });
});

/** A kit with channels 'a' and 'b' (recording) attached to each of `rooms`. */
async function kitWithRooms(opts: RoomKitOptions, ...rooms: string[]): Promise<RoomKit> {
  const kit = new RoomKit(opts);
  kit.registerChannel(new RecordingChannel('a'));
  kit.registerChannel(new RecordingChannel('b'));
  for (const room of rooms) {
    await kit.createRoom({ roomId: room });
    await kit.attachChannel(room, 'a');
    await kit.attachChannel(room, 'b');
  }
  return kit;
}
