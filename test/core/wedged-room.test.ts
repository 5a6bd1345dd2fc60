import { afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  type ChannelOutput,
  HookResult,
  HookTrigger,
  RoomKit,
  type RoomEvent,
  type RoomKitOptions,
} from '../../src/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';

/**
 * Issue 8, "no room can be wedged": a hook or a channel that never answers must cost a bounded
 * time, never the room. Every wait in here is far shorter than the test timeout, so a
 * regression shows up as a failed assertion, not a hung run.
 */

let kit: RoomKit;
afterEach(async () => kit?.close());

/** A channel whose deliver never settles (until the test ends). */
class BlackHole extends Channel {
  readonly channelType = 'webhook';
  calls = 0;
  signals: AbortSignal[] = [];
  override deliver(_e: unknown, _b: unknown, ctx: { signal: AbortSignal }): Promise<ChannelOutput> {
    this.calls++;
    this.signals.push(ctx.signal);
    return new Promise(() => {});
  }
}

async function room(opts: RoomKitOptions, ...channels: Channel[]) {
  kit = new RoomKit(opts);
  for (const c of channels) kit.registerChannel(c);
  await kit.createRoom({ roomId: 'r' });
  for (const c of channels) await kit.attachChannel('r', c.id);
}

const never = () => new Promise<never>(() => {});

describe('a hook that never settles', () => {
  it('regression: a hung BEFORE_BROADCAST hook held the room lock forever; now the pre-commit timeout releases it', async () => {
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    await room({ processTimeoutMs: 150, hookTimeoutMs: 60_000 }, a, b);
    const signals: AbortSignal[] = [];
    let calls = 0;
    kit.hook(HookTrigger.BEFORE_BROADCAST, (_e, ctx) => {
      signals.push(ctx.signal!);
      // Only the first message meets a hung hook; the room must recover for the rest.
      return calls++ === 0 ? never() : HookResult.allow();
    });
    const blocked: string[] = [];
    kit.on('event_blocked', (e) => blocked.push(e.reason));
    const started = performance.now();
    const first = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('stuck') });
    expect(first).toEqual({ blocked: true, reason: 'timeout' });
    expect(signals[0]!.aborted).toBe(true);
    const rest = [];
    for (let i = 0; i < 5; i++)
      rest.push(await kit.processInbound({ channelId: 'a', roomId: 'r', content: text(`m${i}`) }));
    expect(rest.map((r) => [r.blocked, r.event?.index])).toEqual([0, 1, 2, 3, 4].map((i) => [false, i]));
    expect(b.texts()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(blocked).toEqual(['timeout']);
    expect((await kit.store.listEvents('r')).map((e) => (e.content as { body: string }).body)).toEqual(
      rest.map((_, i) => `m${i}`),
    );
    // Six messages, one timeout: far below 6 x the timeout if the lock had been kept.
    expect(performance.now() - started).toBeLessThan(5_000);
    await kit.waitForIdle();
  });

  it('a sync hook past the kit-wide hookTimeoutMs counts as throwing: allow, reported', async () => {
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    await room({ hookTimeoutMs: 40 }, a, b);
    const errors: unknown[] = [];
    kit.on('hook_error', (e) => errors.push(e.error));
    kit.hook(HookTrigger.BEFORE_BROADCAST, never, { name: 'hung' });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    expect(r.blocked).toBe(false);
    expect(b.texts()).toEqual(['hi']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'timeout', message: 'hook hung timed out after 40 ms' });
  });

  it("a hook's own timeoutMs overrides the kit's", async () => {
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    await room({ hookTimeoutMs: 60_000 }, a, b);
    kit.hook(HookTrigger.BEFORE_BROADCAST, never, { name: 'hung', timeoutMs: 30 });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    expect(r.blocked).toBe(false);
    expect(b.texts()).toEqual(['hi']);
  });

  it('a timed-out hook blocks on the fail-closed triggers', async () => {
    await room({ hookTimeoutMs: 30 });
    kit.hook(HookTrigger.ON_TRANSCRIPTION, never, { name: 'moderation' });
    kit.hook(HookTrigger.BEFORE_TTS, never, { name: 'tts-gate' });
    for (const trigger of [HookTrigger.ON_TRANSCRIPTION, HookTrigger.BEFORE_TTS]) {
      const outcome = await kit.hooks.runSync(trigger, { text: 'x' }, { kit, trigger, roomId: 'r' });
      expect(outcome.allowed).toBe(false);
      expect(outcome.reason).toMatch(/timed out after 30 ms/);
    }
  });

  it('an async AFTER_BROADCAST hook that never settles does not keep waitForIdle waiting', async () => {
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    await room({ hookTimeoutMs: 40 }, a, b);
    kit.hook(HookTrigger.AFTER_BROADCAST, never);
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    const started = performance.now();
    await kit.waitForIdle();
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('a channel that never answers', () => {
  it('regression: a deliver that never returned left processInbound pending forever; now it fails at the deadline', async () => {
    const a = new RecordingChannel('a');
    const hole = new BlackHole('hole');
    const ok = new RecordingChannel('ok');
    await room({ deliveryTimeoutMs: 50, retryPolicy: { maxRetries: 1, baseDelayMs: 1 } }, a, hole, ok);
    const failures: { channelId: string; attempts: number; code?: string }[] = [];
    kit.on('delivery_failed', (f) =>
      failures.push({
        channelId: f.channelId,
        attempts: f.attempts,
        code: (f.error as { code?: string }).code,
      }),
    );
    const r1 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('one') });
    const r2 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('two') });
    expect([r1.blocked, r2.blocked]).toEqual([false, false]);
    expect(ok.texts()).toEqual(['one', 'two']);
    // A missed deadline is a failed attempt: retried once, then reported, and the lane moves on.
    expect(hole.calls).toBe(4);
    expect(failures).toEqual([
      { channelId: 'hole', attempts: 2, code: 'timeout' },
      { channelId: 'hole', attempts: 2, code: 'timeout' },
    ]);
    // The abandoned calls were told to stop.
    expect(hole.signals.every((s) => s.aborted)).toBe(true);
  });

  it('missed deadlines open the circuit breaker like any failure', async () => {
    const a = new RecordingChannel('a');
    const hole = new BlackHole('hole');
    await room(
      {
        deliveryTimeoutMs: 20,
        retryPolicy: { maxRetries: 0 },
        circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
      },
      a,
      hole,
    );
    const opened: string[] = [];
    kit.on('circuit_breaker_opened', (e) => opened.push(e.channelId));
    for (let i = 0; i < 4; i++)
      await kit.processInbound({ channelId: 'a', roomId: 'r', content: text(`${i}`) });
    expect(opened).toEqual(['hole']);
    // Open: the last two were refused without calling the channel.
    expect(hole.calls).toBe(2);
  });

  it('the deadline comes from the binding, else the channel, else the kit', async () => {
    const a = new RecordingChannel('a');
    const byChannel = new BlackHole('by-channel');
    byChannel.deliveryTimeoutMs = 30;
    const byBinding = new BlackHole('by-binding');
    byBinding.deliveryTimeoutMs = 60_000;
    kit = new RoomKit({ deliveryTimeoutMs: 60_000, retryPolicy: { maxRetries: 0 } });
    for (const c of [a, byChannel, byBinding]) kit.registerChannel(c);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    await kit.attachChannel('r', 'by-channel');
    await kit.attachChannel('r', 'by-binding', { deliveryTimeoutMs: 30 });
    expect((await kit.getBinding('r', 'by-binding'))?.deliveryTimeoutMs).toBe(30);
    const failed: string[] = [];
    kit.on('delivery_failed', (f) => failed.push(f.channelId));
    const started = performance.now();
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('x') });
    expect(failed.sort()).toEqual(['by-binding', 'by-channel']);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('closing the kit', () => {
  it('ends calls stuck on a channel or a hook at once, instead of when their deadlines pass', async () => {
    const a = new RecordingChannel('a');
    const hole = new BlackHole('hole');
    await room(
      {
        deliveryTimeoutMs: 600_000,
        hookTimeoutMs: 600_000,
        processTimeoutMs: 600_000,
        retryPolicy: { maxRetries: 0 },
      },
      a,
      hole,
    );
    kit.hook(HookTrigger.BEFORE_BROADCAST, (e: RoomEvent) =>
      (e.content as { body?: string }).body === 'hang here' ? never() : undefined,
    );
    const delivering = kit.processInbound({ channelId: 'a', roomId: 'r', content: text('to the hole') });
    while (hole.calls === 0) await new Promise((r) => setTimeout(r, 5));
    const hooked = kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hang here') });
    const started = performance.now();
    await kit.close();
    await expect(delivering).resolves.toMatchObject({ blocked: false });
    await expect(hooked).resolves.toEqual({ blocked: true, reason: 'timeout' });
    // close() waits up to 2 s for work in flight, then cuts it: far from the 10-minute deadlines.
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(hole.signals[0]!.aborted).toBe(true);
  });
});
