import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AIChannel,
  type AIProvider,
  type AIRequest,
  type AIStreamPart,
  ChannelCategory,
  type EphemeralEvent,
  type Logger,
  RoomKit,
} from '../../src/index.js';
import { OpenAIProvider } from '../../src/providers/openai/index.js';
import { FakeOpenAIServer } from '../../src/testing/fake-ai/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';

/**
 * Issue 8: a model call that never answers must fail at a deadline, and a failing provider
 * (bad key, 5xx, timeout) must be visible to the room's clients as a typed notice. The
 * provider here is the real OpenAI client against our fake OpenAI server over a real socket.
 */

const server = new FakeOpenAIServer({ apiKey: 'test-key' });
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => server.reset());

let kit: RoomKit;
afterEach(async () => kit?.close());

/** Every log line the kit writes, as JSON text, to check that no key leaks. */
function captureLogs(lines: string[]): Logger {
  const log = (level: string) => (obj: unknown, msg?: string) =>
    lines.push(JSON.stringify({ level, obj, msg }));
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

async function room(ai: AIChannel, logs: string[] = []) {
  kit = new RoomKit({ logger: captureLogs(logs) });
  const user = new RecordingChannel('user');
  kit.registerChannel(user);
  kit.registerChannel(ai);
  await kit.createRoom({ roomId: 'r' });
  await kit.attachChannel('r', 'user');
  await kit.attachChannel('r', ai.id, { category: ChannelCategory.INTELLIGENCE });
  const notices: EphemeralEvent[] = [];
  kit.subscribeEphemeral('r', (e) => {
    if (e.type === 'notice') notices.push(e);
  });
  const providerErrors: { code: string; provider: string }[] = [];
  kit.on('provider_error', (e) => providerErrors.push({ code: e.code, provider: e.provider }));
  return { user, notices, providerErrors };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('AIChannel failures', () => {
  it('regression: a bad API key showed the user nothing; now the room gets a typed notice without the key', async () => {
    const secret = 'sk-live-SECRET0123456789abcdef';
    const provider = new OpenAIProvider({ baseUrl: server.baseUrl, apiKey: secret });
    const logs: string[] = [];
    const { user, notices, providerErrors } = await room(new AIChannel('ai', { provider }), logs);
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hello?') });
    await kit.waitForIdle();
    await until(() => notices.length > 0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      type: 'notice',
      roomId: 'r',
      channelId: 'ai',
      data: { level: 'error', code: 'authentication_failed', provider: 'openai', retryable: false },
    });
    const message = String(notices[0]!.data!.message);
    expect(message).toMatch(/Incorrect API key/);
    expect(providerErrors).toEqual([{ code: 'authentication_failed', provider: 'openai' }]);
    // Neither the key nor the vendor's masked echo of it reaches the clients or the logs.
    for (const out of [message, ...logs]) {
      expect(out).not.toContain('SECRET');
      expect(out).not.toContain('cdef');
    }
    expect(logs.some((l) => l.includes('AI provider call failed'))).toBe(true);
    expect(user.got).toHaveLength(0);
  });

  it('regression: a generate that never returned stalled the room; now it fails at generateTimeoutMs', async () => {
    server.enqueue({ text: 'far too late', delayMs: 30_000 });
    const provider = new OpenAIProvider({ baseUrl: server.baseUrl, apiKey: 'test-key' });
    const ai = new AIChannel('ai', { provider, streaming: false, generateTimeoutMs: 150 });
    ai.retryPolicy = { maxRetries: 0 };
    const { user, notices } = await room(ai);
    const failed: string[] = [];
    kit.on('delivery_failed', (f) => failed.push((f.error as { code: string }).code));
    const started = performance.now();
    const r = await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('anyone?') });
    expect(r.blocked).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(failed).toEqual(['timeout']);
    expect(notices.map((n) => n.data)).toEqual([
      expect.objectContaining({ code: 'timeout', provider: 'openai', retryable: true }),
    ]);
    // The HTTP request was aborted, not left running.
    await until(() => server.abandonedResponses >= 1);
    // The room goes on: the next message is answered.
    server.enqueue({ text: 'here now' });
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('again?') });
    await kit.waitForIdle();
    expect(user.texts()).toEqual(['here now']);
  });

  it('a server error on a streamed reply reaches the room as a retryable notice', async () => {
    server.enqueue({ error: { status: 503, message: 'overloaded' } });
    const provider = new OpenAIProvider({ baseUrl: server.baseUrl, apiKey: 'test-key' });
    const { notices } = await room(new AIChannel('ai', { provider }));
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    await kit.waitForIdle();
    expect(notices.map((n) => n.data)).toEqual([
      expect.objectContaining({ level: 'error', provider: 'openai', retryable: true }),
    ]);
  });

  it('a streamed reply that goes silent is cut at the idle deadline: the partial text is kept, marked incomplete', async () => {
    let released = false;
    const stalling: AIProvider = {
      name: 'stalling',
      model: 'm',
      supportsStreaming: true,
      generate: () => new Promise(() => {}),
      async *stream(request: AIRequest): AsyncIterable<AIStreamPart> {
        yield { type: 'text-delta', text: 'Partial ' };
        await new Promise<void>((resolve) => request.signal?.addEventListener('abort', () => resolve()));
        released = true;
      },
    };
    const { user, notices } = await room(
      new AIChannel('ai', { provider: stalling, streamIdleTimeoutMs: 100 }),
    );
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    await kit.waitForIdle();
    expect(user.texts()).toEqual(['Partial ']);
    expect(user.got[0]!.metadata).toMatchObject({ incomplete: true });
    expect(notices.map((n) => n.data)).toEqual([
      expect.objectContaining({ code: 'timeout', provider: 'stalling', retryable: true }),
    ]);
    // The provider was told to stop.
    await until(() => released);
  });

  it("uses the provider's own deadlines when the channel sets none", async () => {
    const slow: AIProvider = {
      name: 'slow-local',
      model: 'm',
      supportsStreaming: false,
      deadlines: { generateMs: 60 },
      generate: () => new Promise(() => {}),
    };
    const ai = new AIChannel('ai', { provider: slow });
    ai.retryPolicy = { maxRetries: 0 };
    const { notices } = await room(ai);
    const started = performance.now();
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(notices.map((n) => (n.data as { code: string }).code)).toEqual(['timeout']);
  });
});
