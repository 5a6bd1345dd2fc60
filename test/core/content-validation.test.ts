import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import {
  AIChannel,
  ChannelCategory,
  type ConversationStore,
  MemoryStore,
  RoomKit,
  ValidationError,
} from '../../src/index.js';
import { MockAIProvider } from '../../src/testing/index.js';
import { RecordingChannel } from '../helpers/channels.js';

/**
 * Issue 8, "content is validated at the edge": processInbound and sendEvent stored and
 * broadcast anything, and the AI provider then received `content: undefined`. Each bad input is
 * now a ValidationError naming the field, with nothing stored, nothing delivered, no room
 * created, and the AI never called.
 */

const BAD: [label: string, content: unknown, field: string][] = [
  ['an empty object', {}, 'content.type'],
  ['text without body', { type: 'text' }, 'content.body'],
  ['a numeric body', { type: 'text', body: 123 }, 'content.body'],
  ['a null body', { type: 'text', body: null }, 'content.body'],
  ['an unknown type', { type: 'hologram', body: 'x' }, 'content.type'],
  ['media without url', { type: 'media', mimeType: 'image/png' }, 'content.url'],
  ['NaN coordinates', { type: 'location', latitude: Number.NaN, longitude: 2 }, 'content.latitude'],
  ['an out-of-range longitude', { type: 'location', latitude: 1, longitude: 200 }, 'content.longitude'],
  [
    'a forged system notice',
    { type: 'system', code: 'channel_muted', data: { channelId: 'b', muted: true } },
    'content.type',
  ],
  ['no content at all', undefined, 'content'],
  ['a string', 'hello', 'content'],
];

const stores: [string, () => ConversationStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore({ path: ':memory:' })],
];

let kit: RoomKit;
afterEach(async () => kit?.close());

describe.each(stores)('content at the edge (%s store)', (_name, makeStore) => {
  async function setup() {
    kit = new RoomKit({ store: makeStore() });
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    const provider = new MockAIProvider({ responses: ['ok'] });
    for (const c of [a, b, new AIChannel('ai', { provider })]) kit.registerChannel(c);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    await kit.attachChannel('r', 'b');
    await kit.attachChannel('r', 'ai', { category: ChannelCategory.INTELLIGENCE });
    return { b, provider };
  }

  it.each(BAD)('regression: processInbound stored %s; now a ValidationError', async (_l, content, field) => {
    const { b, provider } = await setup();
    const err = await kit
      .processInbound({ channelId: 'a', roomId: 'r', content: content as never })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect((err as Error).message.startsWith(`${field}:`)).toBe(true);
    await kit.waitForIdle();
    expect(await kit.store.countEvents('r')).toBe(0);
    expect(b.got).toHaveLength(0);
    expect(provider.calls).toHaveLength(0);
  });

  it.each(BAD)('regression: sendEvent stored %s; now a ValidationError', async (_l, content, field) => {
    await setup();
    await expect(kit.sendEvent('r', 'a', content as never)).rejects.toMatchObject({
      code: 'validation_error',
      field,
    });
    expect(await kit.store.countEvents('r')).toBe(0);
  });

  it('refuses a bad message before routing: no room is created for it', async () => {
    await setup();
    const before = (await kit.listRooms()).length;
    await expect(kit.processInbound({ channelId: 'a', content: { type: 'text' } as never })).rejects.toThrow(
      ValidationError,
    );
    expect(await kit.listRooms()).toHaveLength(before);
  });

  it('refuses metadata, idempotency keys and visibility that cannot be stored, naming the field', async () => {
    await setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [Record<string, unknown>, string][] = [
      [{ metadata: { n: 1n } }, 'metadata.n'],
      [{ metadata: circular }, 'metadata.self'],
      [{ metadata: 'text' }, 'metadata'],
      [{ idempotencyKey: { k: 1 } }, 'idempotencyKey'],
      [{ senderId: 7 }, 'senderId'],
      [{ visibility: 5 }, 'visibility'],
    ];
    for (const [extra, field] of cases) {
      await expect(
        kit.processInbound({
          channelId: 'a',
          roomId: 'r',
          content: { type: 'text', body: 'x' },
          ...extra,
        } as never),
      ).rejects.toMatchObject({ code: 'validation_error', field });
    }
    expect(await kit.store.countEvents('r')).toBe(0);
  });

  it('stores a clean copy: unknown content keys are dropped and the caller object is not kept', async () => {
    const { b } = await setup();
    const content = { type: 'text', body: 'hi', sneaky: { admin: true } } as never as {
      type: 'text';
      body: string;
    };
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content });
    content.body = 'changed later';
    expect(r.event!.content).toStrictEqual({ type: 'text', body: 'hi' });
    expect((await kit.store.listEvents('r'))[0]!.content).toStrictEqual({ type: 'text', body: 'hi' });
    expect(b.got[0]!.content).toStrictEqual({ type: 'text', body: 'hi' });
  });

  it('every valid content type goes through', async () => {
    const { b } = await setup();
    const ok = [
      { type: 'text', body: 'hi', language: 'en' },
      { type: 'rich', body: '**b**', format: 'markdown' },
      { type: 'media', url: 'https://x/y.png', mimeType: 'image/png' },
      { type: 'audio', transcript: 'hello' },
      { type: 'location', latitude: -90, longitude: 180 },
      { type: 'template', templateId: 'welcome', parameters: { name: 'Ana' } },
    ] as const;
    for (const content of ok) await kit.processInbound({ channelId: 'a', roomId: 'r', content });
    const fromA = b.got.filter((e) => e.source.channelId === 'a');
    expect(fromA.map((e) => e.content.type)).toEqual(ok.map((c) => c.type));
  });

  it('framework system notices (mute) still reach the timeline', async () => {
    await setup();
    await kit.mute('r', 'b');
    const [notice] = await kit.store.listEvents('r');
    expect(notice!.content).toMatchObject({ type: 'system', code: 'channel_muted' });
  });
});
