import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AIChannel,
  type AIProvider,
  type AIRequest,
  type AIStreamPart,
  ChannelCategory,
  RoomKit,
} from '../../src/index.js';
import { countAbortControllers } from '../helpers/abort-controllers.js';
import { RecordingChannel, text } from '../helpers/channels.js';

/**
 * The model call's signal aborts with the delivery (deadline, the kit closing) and when the
 * reply is stopped, without AbortSignal.any (issue 16): these pin what the links must keep.
 */

let kit: RoomKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

/** Streams one word, then holds the stream open until its signal aborts. */
class HangingStream implements AIProvider {
  readonly name = 'hanging';
  readonly model = 'm';
  readonly supportsStreaming = true;
  readonly aborts: unknown[] = [];
  started = 0;
  async generate(request: AIRequest) {
    return { text: `reply ${request.messages.length}`, toolCalls: [], finishReason: 'stop' as const };
  }
  async *stream(request: AIRequest): AsyncIterable<AIStreamPart> {
    this.started++;
    // Recorded when the signal aborts, whether or not anyone still pulls the stream.
    request.signal?.addEventListener('abort', () => this.aborts.push(request.signal?.reason), { once: true });
    yield { type: 'text-delta', text: 'Hello' };
    await new Promise<void>((resolve) => {
      if (request.signal?.aborted) return resolve();
      request.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

async function room(ai: AIChannel) {
  kit = new RoomKit();
  kit.registerChannel(new RecordingChannel('user'));
  kit.registerChannel(ai);
  await kit.createRoom({ roomId: 'r' });
  await kit.attachChannel('r', 'user');
  await kit.attachChannel('r', ai.id, { category: ChannelCategory.INTELLIGENCE });
  return kit;
}

describe('AIChannel abort links', () => {
  it('the kit closing aborts a streamed reply still running after its delivery settled', async () => {
    const provider = new HangingStream();
    const k = await room(new AIChannel('ai', { provider }));
    await k.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    await vi.waitFor(() => expect(provider.started).toBe(1), { timeout: 5_000 });
    await k.close(); // waits up to 2 s for idle, then aborts what still runs
    kit = undefined;
    await vi.waitFor(() => expect(provider.aborts).toHaveLength(1), { timeout: 5_000 });
  }, 10_000);

  it('stop() aborts the model call of a streamed reply', async () => {
    const provider = new HangingStream();
    const ai = new AIChannel('ai', { provider });
    const k = await room(ai);
    await k.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    await vi.waitFor(() => expect(provider.started).toBe(1), { timeout: 5_000 });
    expect(ai.stop('r')).toBe(1);
    await vi.waitFor(() => expect(provider.aborts).toHaveLength(1), { timeout: 5_000 });
    expect((provider.aborts[0] as { code?: string }).code).toBe('stopped');
  });

  it('replies that finish leave no abort scope behind on the kit', async () => {
    const ai = new AIChannel('ai', { provider: new HangingStream(), streaming: false });
    const k = await room(ai);
    for (let i = 0; i < 20; i++)
      await k.processInbound({ channelId: 'user', roomId: 'r', content: text(`m${i}`) });
    await k.waitForIdle();
    expect(k.internals.scopes.size).toBe(0);
  });

  it('a reply makes one AbortSignal, the one its model call hands the provider', async () => {
    const ai = new AIChannel('ai', { provider: new HangingStream(), streaming: false });
    const k = await room(ai);
    await k.processInbound({ channelId: 'user', roomId: 'r', content: text('warm up') });
    await k.waitForIdle();
    // Counted from here: the delivery, the stop handle and the reply link make none (each
    // cost 4-5 us on Node 20); only the provider's signal is real.
    const made = countAbortControllers();
    try {
      for (let i = 0; i < 5; i++)
        await k.processInbound({ channelId: 'user', roomId: 'r', content: text(`m${i}`) });
      await k.waitForIdle();
    } finally {
      made.restore();
    }
    expect(made.count).toBe(5);
  });
});
