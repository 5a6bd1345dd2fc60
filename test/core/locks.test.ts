import { afterEach, describe, expect, it } from 'vitest';
import { HookResult, HookTrigger, InMemoryLockManager, RoomKit, type RoomEvent } from '../../src/index.js';
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
    kit = new RoomKit();
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    kit.registerChannel(a);
    kit.registerChannel(b);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    await kit.attachChannel('r', 'b');
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
