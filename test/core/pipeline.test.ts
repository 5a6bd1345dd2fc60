import { afterEach, describe, expect, it } from 'vitest';
import {
  Access,
  ChannelCategory,
  HookResult,
  HookTrigger,
  RoomKit,
  type RoomEvent,
} from '../../src/index.js';
import { EchoAgent, RecordingChannel, text } from '../helpers/channels.js';

let kit: RoomKit;
afterEach(async () => kit?.close());

async function setup(...ids: string[]) {
  kit = new RoomKit();
  const chans = ids.map((id) => new RecordingChannel(id));
  for (const c of chans) kit.registerChannel(c);
  await kit.createRoom({ roomId: 'r' });
  for (const c of chans) await kit.attachChannel('r', c.id);
  return chans;
}

describe('inbound pipeline', () => {
  it('gives unique gap-free indices from 0 under 200 concurrent messages', async () => {
    const [a, b] = await setup('a', 'b');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        kit.processInbound({ channelId: 'a', roomId: 'r', content: text(`m${i}`) }),
      ),
    );
    const indices = results.map((r) => r.event!.index).sort((x, y) => x - y);
    expect(indices).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const stored = await kit.store.listEvents('r');
    expect(stored.map((e) => e.index)).toEqual(indices);
    expect(b!.got.map((e) => e.index)).toEqual(indices);
    expect(a!.got).toHaveLength(0);
  });

  it('stores a blocked event with blockedBy and delivers nothing', async () => {
    const [, b] = await setup('a', 'b');
    const blocked: string[] = [];
    kit.on('event_blocked', (e) => blocked.push(e.reason));
    kit.hook(HookTrigger.BEFORE_BROADCAST, () => HookResult.block('spam'), { name: 'spam-filter' });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('buy now') });
    expect(r.blocked).toBe(true);
    expect(r.reason).toBe('spam');
    const [stored] = await kit.store.listEvents('r');
    expect(stored!.status).toBe('blocked');
    expect(stored!.blockedBy).toBe('spam-filter');
    expect(b!.got).toHaveLength(0);
    expect(blocked).toEqual(['spam']);
  });

  it('delivers injected events only to their targets', async () => {
    const [a, b, c] = await setup('a', 'b', 'c');
    kit.hook(HookTrigger.BEFORE_BROADCAST, (event: RoomEvent) =>
      event.source.channelId === 'a'
        ? HookResult.block('nope', {
            injectedEvents: [{ content: text('warning'), targetChannelIds: ['a'] }],
          })
        : undefined,
    );
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('bad') });
    expect(a!.texts()).toEqual(['warning']);
    expect(b!.got).toHaveLength(0);
    expect(c!.got).toHaveLength(0);
    const stored = await kit.store.listEvents('r');
    expect(stored.map((e) => e.status)).toEqual(['blocked', 'delivered']);
    expect(stored[1]!.targetChannelIds).toEqual(['a']);
  });

  it('runs sync hooks by priority and feeds modifications forward to the broadcast', async () => {
    const [, b] = await setup('a', 'b');
    const order: string[] = [];
    kit.hook(
      HookTrigger.BEFORE_BROADCAST,
      (e: RoomEvent) => {
        order.push(`second saw ${(e.content as { body: string }).body}`);
        return HookResult.modify({ ...e, content: text(`${(e.content as { body: string }).body}!`) });
      },
      { priority: 10 },
    );
    kit.hook(
      HookTrigger.BEFORE_BROADCAST,
      (e: RoomEvent) => {
        order.push('first');
        return HookResult.modify({ ...e, content: text('HELLO') });
      },
      { priority: 1 },
    );
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hello') });
    expect(order).toEqual(['first', 'second saw HELLO']);
    expect(b!.texts()).toEqual(['HELLO!']);
    expect((await kit.store.listEvents('r'))[0]!.content).toEqual(text('HELLO!'));
  });

  it('skips a throwing sync hook (counts as allow) and reports it', async () => {
    const [, b] = await setup('a', 'b');
    const errors: string[] = [];
    kit.on('hook_error', (e) => errors.push(e.hook));
    kit.hook(
      HookTrigger.BEFORE_BROADCAST,
      () => {
        throw new Error('boom');
      },
      { name: 'broken' },
    );
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    expect(r.blocked).toBe(false);
    expect(b!.texts()).toEqual(['hi']);
    expect(errors).toEqual(['broken']);
  });

  it('runs async hooks concurrently: a slow one does not delay the others', async () => {
    await setup('a', 'b');
    const finished: string[] = [];
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => {
      releaseSlow = r;
    });
    kit.hook(HookTrigger.AFTER_BROADCAST, async () => {
      await slowGate;
      finished.push('slow');
    });
    let fastDone!: () => void;
    const fast = new Promise<void>((r) => {
      fastDone = r;
    });
    kit.hook(HookTrigger.AFTER_BROADCAST, async () => {
      finished.push('fast');
      fastDone();
    });
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    await fast;
    expect(finished).toEqual(['fast']);
    releaseSlow();
    await kit.waitForIdle();
    expect(finished).toEqual(['fast', 'slow']);
  });

  it("stores read-only or muted sources blocked, without broadcast, with the original's blockedBy names", async () => {
    const [, b] = await setup('a', 'b');
    await kit.setAccess('r', 'a', Access.READ_ONLY);
    const r1 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('ro') });
    await kit.setAccess('r', 'a', Access.READ_WRITE);
    await kit.mute('r', 'a');
    const r2 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('muted') });
    expect([r1.blocked, r1.reason, r1.event!.blockedBy, r2.blocked, r2.reason, r2.event!.blockedBy]).toEqual([
      true,
      'source_read_only',
      'source_read_only',
      true,
      'source_muted',
      'source_muted',
    ]);
    expect(b!.got.filter((e) => e.content.type === 'text')).toHaveLength(0);
  });

  it('muted targets still receive; write-only targets receive nothing', async () => {
    const [, b, c] = await setup('a', 'b', 'c');
    await kit.mute('r', 'b');
    await kit.setAccess('r', 'c', Access.WRITE_ONLY);
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('x') });
    expect(b!.texts()).toContain('x');
    expect(c!.got).toHaveLength(0);
  });

  it('never delivers a channel its own event', async () => {
    const [a] = await setup('a', 'b');
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('mine') });
    expect(a!.got).toHaveLength(0);
  });

  it('honours visibility: none, a list of ids, and a category', async () => {
    kit = new RoomKit();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new RecordingChannel(id));
    const agent = new EchoAgent('ai');
    for (const ch of [a!, b!, c!, agent]) kit.registerChannel(ch);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a', { visibility: ['c'] });
    await kit.attachChannel('r', 'b', { visibility: 'intelligence' });
    await kit.attachChannel('r', 'c', { visibility: 'none' });
    await kit.attachChannel('r', 'ai', { category: ChannelCategory.INTELLIGENCE, visibility: 'none' });
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('to c only') });
    await kit.processInbound({ channelId: 'b', roomId: 'r', content: text('to ai only') });
    await kit.processInbound({ channelId: 'c', roomId: 'r', content: text('to nobody') });
    await kit.waitForIdle();
    expect(c!.texts()).toEqual(['to c only']);
    expect(agent.seen.map((e) => (e.content as { body: string }).body)).toEqual(['to ai only']);
    expect(a!.got).toHaveLength(0);
    expect(b!.got).toHaveLength(0);
  });

  it('transcodes rich to text and truncates to the target max length', async () => {
    kit = new RoomKit();
    const a = new RecordingChannel('a');
    const sms = new RecordingChannel('sms', {
      type: 'sms',
      capabilities: { contentTypes: ['text'], maxLength: 20 },
    });
    const web = new RecordingChannel('web');
    for (const ch of [a, sms, web]) kit.registerChannel(ch);
    await kit.createRoom({ roomId: 'r' });
    for (const id of ['a', 'sms', 'web']) await kit.attachChannel('r', id);
    await kit.processInbound({
      channelId: 'a',
      roomId: 'r',
      content: {
        type: 'rich',
        format: 'markdown',
        body: '**Hello** there, this is [a link](https://x.io) and more',
      },
    });
    const got = sms.got[0]!.content as { type: string; body: string };
    expect(got.type).toBe('text');
    expect(got.body.length).toBeLessThanOrEqual(20);
    expect(got.body.startsWith('Hello there')).toBe(true);
    expect(got.body.endsWith('…')).toBe(true);
    expect(web.got[0]!.content.type).toBe('rich');
  });

  it('closed rooms refuse and store nothing', async () => {
    const [, b] = await setup('a', 'b');
    await kit.closeRoom('r');
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('late') });
    expect(r).toMatchObject({ blocked: true, reason: 'room_closed' });
    expect((await kit.store.listEvents('r')).filter((e) => e.content.type === 'text')).toHaveLength(0);
    expect(b!.got.filter((e) => e.content.type === 'text')).toHaveLength(0);
  });

  it('stores a duplicate idempotency key once and returns the first result, also concurrently', async () => {
    const [, b] = await setup('a', 'b');
    const send = (body: string) =>
      kit.processInbound({ channelId: 'a', roomId: 'r', idempotencyKey: 'k1', content: text(body) });
    const [r1, r2] = await Promise.all([send('first'), send('second')]);
    const r3 = await send('third');
    expect(r2.event!.id).toBe(r1.event!.id);
    expect(r3.event!.id).toBe(r1.event!.id);
    expect([r1.duplicate, r2.duplicate, r3.duplicate]).toEqual([undefined, true, true]);
    expect(await kit.store.listEvents('r')).toHaveLength(1);
    expect(b!.texts()).toEqual(['first']);
  });

  it('pre-commit timeout stores nothing; slow delivery after commit is not reported blocked', async () => {
    kit = new RoomKit({ processTimeoutMs: 50 });
    const a = new RecordingChannel('a');
    const slow = new RecordingChannel('slow');
    slow.delayFor = () => 150;
    kit.registerChannel(a);
    kit.registerChannel(slow);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    await kit.attachChannel('r', 'slow');
    const off = kit.hook(HookTrigger.BEFORE_BROADCAST, () => new Promise((r) => setTimeout(r, 200)));
    const r1 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('stuck') });
    expect(r1).toEqual({ blocked: true, reason: 'timeout' });
    await kit.waitForIdle();
    expect(await kit.store.listEvents('r')).toHaveLength(0);
    off();
    const r2 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('fine') });
    expect(r2.blocked).toBe(false);
    expect(r2.event!.index).toBe(0);
    expect(slow.texts()).toEqual(['fine']);
  });

  it('keeps delivery order equal to index order when deliveries finish out of order', async () => {
    const [, b, c] = await setup('a', 'b', 'c');
    b!.delayFor = (e) => (e.index % 2 === 0 ? 30 : 1);
    c!.delayFor = (e) => (e.index % 3 === 0 ? 20 : 0);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        kit.processInbound({ channelId: 'a', roomId: 'r', content: text(`${i}`) }),
      ),
    );
    const expected = Array.from({ length: 12 }, (_, i) => i);
    expect(b!.got.map((e) => e.index)).toEqual(expected);
    expect(c!.got.map((e) => e.index)).toEqual(expected);
  });
});
