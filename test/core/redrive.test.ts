import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  type ChannelBinding,
  ChannelCategory,
  type ChannelOutput,
  type DeliveryContext,
  RoomKit,
  type RoomKitOptions,
  type RoomEvent,
} from '../../src/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { text } from '../helpers/channels.js';
import { silentLogger } from '../../src/core/logger.js';

/**
 * Issue 8, "durable delivery across crashes": events committed but not yet handled by every
 * channel when the process stops are re-driven from the room's delivery cursor by the next
 * process, at least once, and an AI answers each message exactly once. The crash is simulated
 * in-process by abandoning a kit whose lanes are stuck and opening a second kit on the same
 * SQLite file (the kill -9 of a real `roomkit serve` is test/server/redrive.test.ts).
 */

const dir = mkdtempSync(join(tmpdir(), 'rk-redrive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A transport that records what it gets and can be told to hang on some events. */
class Inbox extends Channel {
  readonly channelType = 'webhook';
  readonly got: { body: string; redelivery: boolean; id: string }[] = [];
  private readonly hung: (() => void)[] = [];
  hangOn: (e: RoomEvent) => boolean = () => false;

  override async deliver(event: RoomEvent, _b: ChannelBinding, ctx: DeliveryContext): Promise<ChannelOutput> {
    if (this.hangOn(event)) await new Promise<void>((resolve) => this.hung.push(resolve));
    this.got.push({ body: bodyOf(event), redelivery: ctx.redelivery === true, id: event.id });
    return {};
  }

  release(): void {
    this.hangOn = () => false;
    for (const r of this.hung.splice(0)) r();
  }
}

/** An AI stand-in: answers "re: <message>", and can hang on some messages. */
class Agent extends Channel {
  override readonly category = ChannelCategory.INTELLIGENCE;
  readonly channelType = 'ai';
  readonly asked: string[] = [];
  private readonly hung: (() => void)[] = [];
  hangOn: (e: RoomEvent) => boolean = () => false;

  override async onEvent(event: RoomEvent): Promise<ChannelOutput> {
    this.asked.push(bodyOf(event));
    if (this.hangOn(event)) await new Promise<void>((resolve) => this.hung.push(resolve));
    return { responseEvents: [{ content: text(`re: ${bodyOf(event)}`) }] };
  }

  release(): void {
    this.hangOn = () => false;
    for (const r of this.hung.splice(0)) r();
  }
}

function bodyOf(e: RoomEvent): string {
  return e.content.type === 'text' ? e.content.body : `[${e.content.type}]`;
}

interface Proc {
  kit: RoomKit;
  user: Inbox;
  ai: Agent;
}

const open: Proc[] = [];
afterEach(async () => {
  for (const p of open.splice(0).reverse()) {
    p.user.release();
    p.ai.release();
    await p.kit.close();
  }
});

/** One "process": a kit on the database file with a user transport and an AI. */
async function start(path: string, opts: RoomKitOptions = {}, create = false): Promise<Proc> {
  const kit = new RoomKit({ store: new SqliteStore({ path }), logger: silentLogger, ...opts });
  const user = new Inbox('user');
  const ai = new Agent('ai');
  kit.registerChannel(user);
  kit.registerChannel(ai);
  if (create) {
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'user');
    await kit.attachChannel('r', 'ai', { category: ChannelCategory.INTELLIGENCE });
  }
  const proc = { kit, user, ai };
  open.push(proc);
  return proc;
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function answers(kit: RoomKit): Promise<Map<string, number>> {
  const events = await kit.store.listEvents('r');
  const byId = new Map(events.map((e) => [e.id, bodyOf(e)]));
  const count = new Map<string, number>();
  for (const e of events) {
    if (e.source.channelId !== 'ai' || !e.responseTo) continue;
    const q = byId.get(e.responseTo)!;
    count.set(q, (count.get(q) ?? 0) + 1);
  }
  return count;
}

describe('re-drive after a crash', () => {
  it('regression: committed messages went unanswered after a crash; now each is answered exactly once', async () => {
    const path = join(dir, `db-${files++}.db`);
    const first = await start(path, {}, true);
    // The user's transport hangs on the answer to m1: the room's cursor cannot pass it.
    first.user.hangOn = (e) => bodyOf(e) === 're: m1';
    // The AI hangs on m3: it never answers before the "crash".
    first.ai.hangOn = (e) => bodyOf(e) === 'm3';
    for (const m of ['m0', 'm1', 'm2']) {
      await first.kit.processInbound({ channelId: 'user', roomId: 'r', content: text(m) });
    }
    // Its delivery never finishes in this process (the AI hangs), so nobody awaits it.
    void first.kit.processInbound({ channelId: 'user', roomId: 'r', content: text('m3') });
    await until(async () => (await answers(first.kit)).size === 3 && first.ai.asked.length === 4);
    expect(first.user.got.map((g) => g.body)).toEqual(['re: m0']);
    // The cursor is written behind (on a timer): wait for it to reach the store, not a fixed time.
    await until(async () => (await first.kit.store.getDeliveryCursor('r')) >= 2);
    const cursorAtCrash = await first.kit.store.getDeliveryCursor('r');
    expect(cursorAtCrash).toBe(2); // m0, re: m0, m1 handled; "re: m1" stuck

    // "Restart": a new process on the same file. The old one is abandoned as it is.
    const second = await start(path);
    const resumed: unknown[] = [];
    second.kit.on('delivery_resumed', (e) => resumed.push(e));
    const summary = await second.kit.recover();
    await second.kit.waitForIdle();
    expect(summary.events).toBe(4); // re: m1, m2, re: m2, m3 (the new "re: m3" is a new event)
    expect(resumed).toHaveLength(1);
    // The AI is asked only about m3, the one message it never answered.
    expect(second.ai.asked).toEqual(['m3']);
    const counts = await answers(second.kit);
    expect([...counts.entries()].sort()).toEqual([
      ['m0', 1],
      ['m1', 1],
      ['m2', 1],
      ['m3', 1],
    ]);
    // The user transport gets the undelivered events again, in order, flagged as redeliveries.
    expect(second.user.got.map((g) => [g.body, g.redelivery])).toEqual([
      ['re: m1', true],
      ['re: m2', true],
      ['re: m3', false],
    ]);
    await until(async () => (await second.kit.store.getDeliveryCursor('r')) === 7);
    expect(await second.kit.store.listUndeliveredRooms()).toEqual([]);
  });

  it('a room resumes on its first use, before the new message, without recover()', async () => {
    const path = join(dir, `db-${files++}.db`);
    const first = await start(path, {}, true);
    first.user.hangOn = () => true;
    void first.kit.processInbound({ channelId: 'ai', roomId: 'r', content: text('pending 1') });
    void first.kit.processInbound({ channelId: 'ai', roomId: 'r', content: text('pending 2') });
    await until(async () => (await first.kit.store.countEvents('r')) === 2);
    const second = await start(path);
    await second.kit.processInbound({ channelId: 'ai', roomId: 'r', content: text('new') });
    expect(second.user.got.map((g) => g.body)).toEqual(['pending 1', 'pending 2', 'new']);
  });

  it('answerMissed: false re-delivers to transports but asks no AI; maxAnswerAgeMs skips old messages', async () => {
    const path = join(dir, `db-${files++}.db`);
    const first = await start(path, {}, true);
    first.ai.hangOn = () => true;
    void first.kit.processInbound({ channelId: 'user', roomId: 'r', content: text('old question') });
    await until(() => first.ai.asked.length === 1);
    const off = await start(path, { recovery: { answerMissed: false } });
    const summary = await off.kit.recover();
    await off.kit.waitForIdle();
    expect(off.ai.asked).toEqual([]);
    expect(summary.rooms[0]).toMatchObject({ events: 1, skippedReplies: 1 });

    const path2 = join(dir, `db-${files++}.db`);
    const again = await start(path2, {}, true);
    again.ai.hangOn = () => true;
    void again.kit.processInbound({ channelId: 'user', roomId: 'r', content: text('stale') });
    await until(() => again.ai.asked.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    const aged = await start(path2, { recovery: { maxAnswerAgeMs: 10 } });
    await aged.kit.recover();
    await aged.kit.waitForIdle();
    expect(aged.ai.asked).toEqual([]);
  });

  it('after a clean close nothing is re-driven', async () => {
    const path = join(dir, `db-${files++}.db`);
    const first = await start(path, {}, true);
    for (let i = 0; i < 20; i++) {
      await first.kit.processInbound({ channelId: 'user', roomId: 'r', content: text(`q${i}`) });
    }
    await first.kit.waitForIdle();
    await first.kit.close();
    open.splice(open.indexOf(first), 1);
    const second = await start(path);
    expect(await second.kit.store.getDeliveryCursor('r')).toBe(39);
    expect(await second.kit.recover()).toEqual({ rooms: [], events: 0 });
    await second.kit.processInbound({ channelId: 'user', roomId: 'r', content: text('next') });
    await second.kit.waitForIdle();
    expect(second.ai.asked).toEqual(['next']);
    expect(second.user.got.map((g) => g.body)).toEqual(['re: next']);
  });
});
