import { afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  type ChannelOutput,
  HookResult,
  HookTrigger,
  RoomKit,
  type RoomEvent,
} from '../../src/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';

/**
 * Issue 8: "no job in a delivery lane can ever kill the process or stop the lane". Vitest fails
 * the run on an unhandled rejection, so each case below would have failed before the fix even
 * without its own assertions; the assertions check that the lane goes on in order.
 */

let kit: RoomKit;
afterEach(async () => kit?.close());

async function room(...channels: Channel[]) {
  kit = new RoomKit({ retryPolicy: { maxRetries: 0 } });
  for (const c of channels) kit.registerChannel(c);
  await kit.createRoom({ roomId: 'r' });
  for (const c of channels) await kit.attachChannel('r', c.id);
}

describe('delivery lanes survive bad jobs', () => {
  it('regression: a hook modify without content killed the process from DeliveryQueue.drain; now it is a hook error', async () => {
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    await room(a, b);
    const errors: { hook: string; error: unknown }[] = [];
    kit.on('hook_error', (e) => errors.push(e));
    kit.hook(
      HookTrigger.BEFORE_BROADCAST,
      (e: RoomEvent) =>
        (e.content as { body?: string }).body === 'strip me'
          ? HookResult.modify({ ...e, content: undefined })
          : undefined,
      { name: 'garbage' },
    );
    kit.hook(
      HookTrigger.BEFORE_BROADCAST,
      (e: RoomEvent) =>
        (e.content as { body?: string }).body === 'numbers'
          ? HookResult.modify({ ...e, content: { type: 'text', body: 42 } })
          : undefined,
      { name: 'numbers' },
    );
    const r1 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('strip me') });
    const r2 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('numbers') });
    const r3 = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('after') });
    // An invalid modification is ignored like a throwing hook: the event goes on unmodified.
    expect([r1.blocked, r2.blocked, r3.blocked]).toEqual([false, false, false]);
    expect(b.texts()).toEqual(['strip me', 'numbers', 'after']);
    expect(errors.map((e) => e.hook)).toEqual(['garbage', 'numbers']);
    expect(String((errors[0]!.error as Error).message)).toMatch(/content/);
    expect(String((errors[1]!.error as Error).message)).toMatch(/content\.body/);
  });

  it('a target whose transcoding throws fails that delivery only; the lane and the room go on', async () => {
    const a = new RecordingChannel('a');
    const broken = new RecordingChannel('broken');
    // A channel whose capabilities cannot be read makes transcodeFor throw.
    Object.defineProperty(broken, 'capabilities', {
      get() {
        throw new Error('capabilities exploded');
      },
    });
    const ok = new RecordingChannel('ok');
    await room(a, broken, ok);
    const failed: string[] = [];
    kit.on('delivery_failed', (f) => failed.push(`${f.channelId}:${(f.error as Error).message}`));
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('one') });
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('two') });
    expect(ok.texts()).toEqual(['one', 'two']);
    expect(failed).toEqual(['broken:capabilities exploded', 'broken:capabilities exploded']);
  });

  it('a deliver that throws synchronously (not a rejected promise) is a failed delivery', async () => {
    class SyncThrow extends Channel {
      readonly channelType = 'webhook';
      got = 0;
      override deliver(event: RoomEvent): Promise<ChannelOutput> {
        if ((event.content as { body: string }).body === 'bad') throw new TypeError('sync boom');
        this.got++;
        return Promise.resolve({});
      }
    }
    const a = new RecordingChannel('a');
    const sync = new SyncThrow('sync');
    await room(a, sync);
    const failed: string[] = [];
    kit.on('delivery_failed', (f) => failed.push((f.error as Error).message));
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('bad') });
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('good') });
    expect(failed).toEqual(['sync boom']);
    expect(sync.got).toBe(1);
  });

  it('an intelligence channel that answers garbage gets a channel error; the room goes on', async () => {
    class GarbageAgent extends Channel {
      override readonly category = 'intelligence' as const;
      readonly channelType = 'ai';
      override async onEvent(): Promise<ChannelOutput> {
        return { responseEvents: [{ content: { type: 'text' } as never }, { content: text('fine') }] };
      }
    }
    const a = new RecordingChannel('a');
    await room(a, new GarbageAgent('bot'));
    const errors: unknown[] = [];
    kit.on('channel_error', (e) => errors.push(e.error));
    await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('hi') });
    await kit.waitForIdle();
    expect(a.texts()).toEqual(['fine']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toMatch(/content\.body/);
  });

  it('a logger that throws while a failure is reported neither stalls the lane nor loses the caller', async () => {
    const throwing = {
      debug() {},
      info() {},
      warn() {
        throw new Error('logger down');
      },
      error() {
        throw new Error('logger down');
      },
      child: () => throwing,
    };
    kit = new RoomKit({ retryPolicy: { maxRetries: 0 }, logger: throwing });
    const a = new RecordingChannel('a');
    const b = new RecordingChannel('b');
    b.failTimes = 1;
    for (const c of [a, b]) kit.registerChannel(c);
    await kit.createRoom({ roomId: 'r' });
    for (const c of [a, b]) await kit.attachChannel('r', c.id);
    const first = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('lost') });
    const second = await kit.processInbound({ channelId: 'a', roomId: 'r', content: text('kept') });
    expect([first.blocked, second.blocked]).toEqual([false, false]);
    expect(b.texts()).toEqual(['kept']);
    await kit.waitForIdle();
  });
});
