import { afterEach, describe, expect, it } from 'vitest';
import { ChannelCategory, RoomKit } from '../../src/index.js';
import { EchoAgent, RecordingChannel, text } from '../helpers/channels.js';

let kit: RoomKit;
afterEach(async () => kit?.close());

describe('intelligence re-entry', () => {
  it('an AI reply re-enters the pipeline and reaches the transports', async () => {
    kit = new RoomKit();
    const user = new RecordingChannel('user');
    const watcher = new RecordingChannel('watcher');
    const ai = new EchoAgent('ai');
    for (const c of [user, watcher, ai]) kit.registerChannel(c);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'user');
    await kit.attachChannel('r', 'watcher');
    await kit.attachChannel('r', 'ai', { category: ChannelCategory.INTELLIGENCE });
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hello') });
    await kit.waitForIdle();
    expect(user.texts()).toEqual(['re: hello']);
    expect(watcher.texts()).toEqual(['hello', 're: hello']);
    const events = await kit.store.listEvents('r');
    expect(events.map((e) => [e.index, e.chainDepth, e.source.channelId])).toEqual([
      [0, 0, 'user'],
      [1, 1, 'ai'],
    ]);
    expect(events[1]!.responseTo).toBe(events[0]!.id);
  });

  it('an AI<->AI loop stops at max chain depth with a blocked audit event', async () => {
    kit = new RoomKit({ maxChainDepth: 3 });
    const user = new RecordingChannel('user');
    const blocked: string[] = [];
    kit.on('event_blocked', (e) => blocked.push(e.reason));
    for (const c of [user, new EchoAgent('ai1'), new EchoAgent('ai2')]) kit.registerChannel(c);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'user');
    await kit.attachChannel('r', 'ai1', { category: ChannelCategory.INTELLIGENCE });
    await kit.attachChannel('r', 'ai2', { category: ChannelCategory.INTELLIGENCE });
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('go') });
    await kit.waitForIdle();
    const events = await kit.store.listEvents('r');
    const delivered = events.filter((e) => e.status === 'delivered');
    const audits = events.filter((e) => e.status === 'blocked');
    expect(Math.max(...delivered.map((e) => e.chainDepth))).toBe(3);
    // Regression: a reply re-entering from a delivery queue once bypassed the room lock and
    // lost an event to an index collision. Both agents answer each other at every depth.
    expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
    expect(delivered).toHaveLength(1 + 2 * 3);
    expect(audits).toHaveLength(2);
    expect(audits.length).toBeGreaterThan(0);
    expect(
      audits.every((e) => e.chainDepth === 4 && e.blockedBy === 'max_chain_depth' && e.type === 'audit'),
    ).toBe(true);
    expect(blocked).toContain('max_chain_depth');
    // Nothing past the limit reached the human.
    expect(user.got.every((e) => e.chainDepth <= 3)).toBe(true);
  });
});

describe('delivery resilience', () => {
  async function oneTarget(opts: ConstructorParameters<typeof RoomKit>[0] = {}) {
    kit = new RoomKit(opts);
    const src = new RecordingChannel('src');
    const dst = new RecordingChannel('dst');
    kit.registerChannel(src);
    kit.registerChannel(dst);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'src');
    await kit.attachChannel('r', 'dst');
    const send = (body: string) => kit.processInbound({ channelId: 'src', roomId: 'r', content: text(body) });
    return { dst, send };
  }

  it('retries and succeeds on the second attempt', async () => {
    const { dst, send } = await oneTarget({ retryPolicy: { maxRetries: 2, baseDelayMs: 1 } });
    const failures: unknown[] = [];
    kit.on('delivery_failed', (e) => failures.push(e));
    dst.failTimes = 1;
    await send('once more');
    expect(dst.attempts).toBe(2);
    expect(dst.texts()).toEqual(['once more']);
    expect(failures).toHaveLength(0);
  });

  it('reports delivery_failed after the retries run out, and the event stays committed', async () => {
    const { dst, send } = await oneTarget({ retryPolicy: { maxRetries: 1, baseDelayMs: 1 } });
    const failures: { attempts: number; channelId: string }[] = [];
    kit.on('delivery_failed', (e) => failures.push(e));
    dst.failTimes = 5;
    const r = await send('lost');
    expect(r.blocked).toBe(false);
    expect(failures).toEqual([expect.objectContaining({ attempts: 2, channelId: 'dst' })]);
    expect(await kit.store.countEvents('r')).toBe(1);
  });

  it('the circuit breaker opens, half-opens after the reset time, and closes on success', async () => {
    const { dst, send } = await oneTarget({
      retryPolicy: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 80 },
    });
    const states: string[] = [];
    kit.on('circuit_breaker_opened', () => states.push('opened'));
    kit.on('circuit_breaker_half_open', () => states.push('half_open'));
    kit.on('circuit_breaker_closed', () => states.push('closed'));
    dst.failTimes = 2;
    await send('f1');
    await send('f2');
    expect(states).toEqual(['opened']);
    const attemptsWhileOpen = dst.attempts;
    await send('short-circuited');
    expect(dst.attempts).toBe(attemptsWhileOpen);
    await new Promise((r) => setTimeout(r, 100));
    await send('trial');
    expect(states).toEqual(['opened', 'half_open', 'closed']);
    expect(dst.texts()).toEqual(['trial']);
  });

  it('a rate-limited channel delays deliveries instead of dropping them', async () => {
    const { dst, send } = await oneTarget();
    dst.rateLimit = { maxPerSecond: 20 };
    const stamps: number[] = [];
    const original = dst.deliver.bind(dst);
    dst.deliver = async (...args) => {
      stamps.push(performance.now());
      return original(...args);
    };
    await Promise.all(Array.from({ length: 5 }, (_, i) => send(`m${i}`)));
    expect(dst.texts()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // 5 deliveries at 20/s need at least 4 gaps of ~50 ms: spacing is the behaviour, not speed.
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    expect(gaps.every((g) => g >= 40)).toBe(true);
  });
});
