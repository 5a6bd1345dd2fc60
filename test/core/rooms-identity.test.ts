import { afterEach, describe, expect, it } from 'vitest';
import { HookTrigger, IdentityHookResult, type IdentityHookPayload, RoomKit } from '../../src/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';
import { eventually } from '../helpers/eventually.js';

let kit: RoomKit;
afterEach(async () => kit?.close());

describe('room lifecycle', () => {
  it('inactivity timers pause and then close a room; activity re-arms them', async () => {
    kit = new RoomKit();
    const a = new RecordingChannel('a');
    kit.registerChannel(a);
    const seen: string[] = [];
    kit.on('room_paused', () => seen.push('paused'));
    kit.on('room_closed', () => seen.push('closed'));
    kit.on('room_reactivated', () => seen.push('reactivated'));
    await kit.createRoom({ roomId: 'r', timers: { inactiveAfterMs: 60, closeAfterMs: 160 } });
    await kit.attachChannel('r', 'a');
    await eventually(() => expect(seen).toEqual(['paused']));
    expect((await kit.getRoom('r'))!.status).toBe('paused');
    // A message to a paused room wakes it up and restarts the clock.
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('back') });
    expect(r.blocked).toBe(false);
    expect((await kit.getRoom('r'))!.status).toBe('active');
    // Paused after 60 ms idle, then closed 160 ms after the message: the close timer is armed
    // only when the pause has run, so a fixed sleep could fire first on a stalled loop.
    await eventually(() => expect(seen).toContain('closed'));
    expect((await kit.getRoom('r'))!.status).toBe('closed');
    expect(seen).toEqual(['paused', 'reactivated', 'paused', 'closed']);
    expect((await kit.store.getRoom('r'))!.status).toBe('closed');
  });

  it('channel operations write system events to the timeline', async () => {
    kit = new RoomKit();
    kit.registerChannel(new RecordingChannel('a'));
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    await kit.mute('r', 'a');
    await kit.unmute('r', 'a');
    const codes = (await kit.store.listEvents('r')).map((e) =>
      e.content.type === 'system' ? e.content.code : '',
    );
    expect(codes).toEqual(['channel_muted', 'channel_unmuted']);
  });

  it('routes by channel and sender; ambiguity starts a new room instead of guessing', async () => {
    kit = new RoomKit();
    kit.registerChannel(new RecordingChannel('sms'));
    await kit.createRoom({ roomId: 'one' });
    await kit.attachChannel('one', 'sms');
    const first = await kit.processInbound({ channelId: 'sms', senderId: '+1555', content: text('hi') });
    expect(first.event!.roomId).toBe('one');
    await kit.createRoom({ roomId: 'two' });
    await kit.attachChannel('two', 'sms');
    // +1555 is a participant of 'one' only: still routed there.
    const again = await kit.processInbound({ channelId: 'sms', senderId: '+1555', content: text('again') });
    expect(again.event!.roomId).toBe('one');
    // A stranger on a channel attached to two rooms: a new room, not a guess.
    const stranger = await kit.processInbound({ channelId: 'sms', senderId: '+1999', content: text('who?') });
    expect(['one', 'two']).not.toContain(stranger.event!.roomId);
  });
});

describe('identity resolution', () => {
  async function withResolver(resolver: ConstructorParameters<typeof RoomKit>[0]) {
    kit = new RoomKit(resolver);
    const a = new RecordingChannel('a');
    kit.registerChannel(a);
    await kit.createRoom({ roomId: 'r' });
    await kit.attachChannel('r', 'a');
    return a;
  }

  it('an identified sender becomes the event participant', async () => {
    await withResolver({
      identityResolver: (m) => ({ status: 'identified', participantId: `user-of-${m.address}` }),
    });
    const r = await kit.processInbound({
      channelId: 'a',
      roomId: 'r',
      address: '+1555',
      content: text('hi'),
    });
    expect(r.event!.source.participantId).toBe('user-of-+1555');
    const p = (await kit.listParticipants('r')).find((x) => x.id === 'user-of-+1555');
    expect(p?.identified).toBe(true);
  });

  it('an ambiguous sender is resolved by a hook', async () => {
    await withResolver({ identityResolver: () => ({ status: 'ambiguous', candidates: ['alice', 'bob'] }) });
    kit.hook(HookTrigger.ON_IDENTITY_AMBIGUOUS, (p: IdentityHookPayload) =>
      p.result.status === 'ambiguous' ? IdentityHookResult.resolved(p.result.candidates[1]!) : undefined,
    );
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    expect(r.event!.source.participantId).toBe('bob');
  });

  it('an unknown sender can be challenged: message held, question sent back to that channel only', async () => {
    const a = await withResolver({ identityResolver: () => ({ status: 'unknown' }) });
    const other = new RecordingChannel('other');
    kit.registerChannel(other);
    await kit.attachChannel('r', 'other');
    kit.hook(HookTrigger.ON_IDENTITY_UNKNOWN, () =>
      IdentityHookResult.challenge('What is your account number?'),
    );
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('refund me') });
    expect(r.blocked).toBe(true);
    expect(r.event!.blockedBy).toBe('identity');
    expect(a.texts()).toEqual(['What is your account number?']);
    expect(other.texts()).toEqual([]);
  });

  it('a resolver that does not answer in time counts as unknown', async () => {
    await withResolver({ identityResolver: () => new Promise(() => {}), identityTimeoutMs: 30 });
    const payloads: IdentityHookPayload[] = [];
    kit.hook(HookTrigger.ON_IDENTITY_UNKNOWN, (p: IdentityHookPayload) => {
      payloads.push(p);
      return IdentityHookResult.reject('unverified');
    });
    const r = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.timedOut).toBe(true);
    expect(r).toMatchObject({ blocked: true, reason: 'unverified' });
  });
});
