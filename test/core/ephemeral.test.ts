import { describe, expect, it } from 'vitest';
import { EphemeralBus, type EphemeralEvent, RoomKit } from '../../src/index.js';

describe('ephemeral pub/sub', () => {
  it('a slow subscriber keeps only the newest events (bounded queue, oldest dropped)', async () => {
    const bus = new EphemeralBus();
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    bus.subscribe(
      'r',
      async (e) => {
        seen.push(e.data!.n as number);
        if (e.data!.n === 0) await gate;
      },
      { maxQueue: 3 },
    );
    for (let n = 0; n < 10; n++) bus.publish({ type: 'typing', roomId: 'r', data: { n } });
    release();
    await new Promise((r) => setTimeout(r, 10));
    // 0 was being handled; of 1..9 only the last three fit the queue.
    expect(seen).toEqual([0, 7, 8, 9]);
  });

  it('a failing subscriber does not affect the others, and rooms are isolated', async () => {
    const errors: unknown[] = [];
    const bus = new EphemeralBus((e) => errors.push(e));
    const good: EphemeralEvent[] = [];
    const other: EphemeralEvent[] = [];
    bus.subscribe('r', () => {
      throw new Error('subscriber bug');
    });
    bus.subscribe('r', (e) => void good.push(e));
    bus.subscribe('elsewhere', (e) => void other.push(e));
    bus.publish({ type: 'presence', roomId: 'r', participantId: 'u1', data: { status: 'online' } });
    bus.publish({ type: 'presence', roomId: 'r', participantId: 'u1', data: { status: 'away' } });
    await new Promise((r) => setTimeout(r, 5));
    expect(good.map((e) => e.data!.status)).toEqual(['online', 'away']);
    expect(errors).toHaveLength(2);
    expect(other).toHaveLength(0);
  });

  it('typing, presence and read receipts through the kit; unsubscribe stops delivery', async () => {
    const kit = new RoomKit();
    const got: string[] = [];
    const off = kit.subscribeEphemeral('chat', (e) => void got.push(`${e.type}:${e.participantId}`));
    kit.setTyping('chat', 'ana', true);
    kit.setPresence('chat', 'ana', 'online');
    kit.markRead('chat', 'ana', 'evt_1');
    await new Promise((r) => setTimeout(r, 5));
    off();
    kit.setTyping('chat', 'ana', false);
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['typing:ana', 'presence:ana', 'read_receipt:ana']);
    await kit.close();
  });
});
