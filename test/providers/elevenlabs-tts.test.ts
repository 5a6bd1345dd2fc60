import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, ProviderError } from '../../src/core/errors.js';
import { ElevenLabsTTSProvider, type ElevenLabsTTSOptions } from '../../src/providers/elevenlabs/index.js';
import { FakeElevenLabsTTSServer } from '../../src/testing/fake-speech/index.js';
import { describeTTSConformance } from '../conformance/tts.js';

let fake: FakeElevenLabsTTSServer;
beforeAll(async () => {
  fake = await new FakeElevenLabsTTSServer().start();
});
afterAll(async () => {
  await fake.close();
});

const provider = (opts: ElevenLabsTTSOptions = {}) =>
  new ElevenLabsTTSProvider({ apiKey: 'test-key', baseUrl: fake.baseUrl, voiceId: 'voice-1', ...opts });
const json = (conn: (typeof fake.connections)[number]) =>
  conn.received.flatMap((m) => (m.kind === 'json' ? [m.data] : []));

describeTTSConformance({
  name: 'ElevenLabsTTSProvider (fake server)',
  create: () => provider(),
  text: 'Hello there. How can I help you with your booking today?',
  dropSockets: () => fake.dropAll(),
});

describe('ElevenLabsTTSProvider', () => {
  it('opens multi-stream-input for the voice with the query options, settings in the first message', async () => {
    const tts = provider({
      modelId: 'eleven_multilingual_v2',
      outputFormat: 'pcm_16000',
      voiceSettings: { stability: 0.4, similarityBoost: 0.8, speed: 1.1 },
      chunkLengthSchedule: [50, 90],
    });
    expect(tts.capabilities.sampleRate).toBe(16_000);
    const before = fake.connections.length;
    const audio = await tts.synthesize('Hi Sam.');
    expect(audio).toMatchObject({ sampleRate: 16_000, format: 'pcm_s16le', channels: 1 });
    expect(audio.data.byteLength).toBe(2 * 3200 * 2); // two words x 200 ms at 16 kHz
    const conn = fake.connections[before];
    expect(conn.path).toBe('/v1/text-to-speech/voice-1/multi-stream-input');
    expect(conn.query.get('model_id')).toBe('eleven_multilingual_v2');
    expect(conn.headers['xi-api-key']).toBe('test-key');
    const [init, ...rest] = json(conn);
    expect(init).toMatchObject({
      text: ' ',
      voice_settings: { stability: 0.4, similarity_boost: 0.8, speed: 1.1 },
      generation_config: { chunk_length_schedule: [50, 90] },
    });
    expect(rest).toEqual([
      { text: 'Hi Sam. ', context_id: init.context_id, flush: true },
      { context_id: init.context_id, flush: true },
      { context_id: init.context_id, close_context: true },
    ]);
    await tts.close();
  });

  it('streams LLM tokens as phrases and voices the first sentence before the last token', async () => {
    const tts = provider();
    const before = fake.connections.length;
    let heard!: () => void;
    const firstAudio = new Promise<void>((r) => (heard = r));
    let beforeLast = false;
    const list = ['Sure', ', I ', 'can ', 'help. ', 'Which ', 'day?'];
    async function* llm() {
      for (const [i, t] of list.entries()) {
        if (i === list.length - 1) {
          beforeLast = await Promise.race([
            firstAudio.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
          ]);
        }
        yield t;
      }
    }
    for await (const _ of tts.synthesizeStreamInput(llm())) heard();
    expect(beforeLast).toBe(true);
    const texts = json(fake.connections[before]).flatMap((m) =>
      typeof m.text === 'string' && m.text !== ' ' ? [m.text] : [],
    );
    expect(texts).toEqual(['Sure, I can help. ', 'Which day? ']);
    await tts.close();
  });

  it('reuses the socket: one context per reply, and barge-in closes only that context', async () => {
    fake.options.chunkIntervalMs = 20;
    try {
      const tts = provider();
      const before = fake.connections.length;
      const controller = new AbortController();
      const it = tts
        .synthesizeStream('one two three four five six seven eight.', { signal: controller.signal })
        [Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      const pending = it.next();
      controller.abort();
      expect(await pending).toEqual({ done: true, value: undefined });
      const next = await tts.synthesize('Next reply.');
      const samples = new Set(
        new Int16Array(next.data.buffer, next.data.byteOffset, next.data.byteLength / 2),
      );
      expect(samples.size).toBe(1); // only the new context's audio, none of the interrupted one
      expect(fake.connections.length - before).toBe(1);
      const messages = json(fake.connections[before]);
      const contexts = new Set(messages.map((m) => m.context_id));
      expect(contexts.size).toBe(2);
      const closes = messages.filter((m) => m.close_context === true);
      expect(closes).toHaveLength(2);
      await tts.close();
    } finally {
      fake.options.chunkIntervalMs = 0;
    }
  });

  it('reports character alignment in reply time', async () => {
    const tts = provider();
    const starts: number[] = [];
    let chars = '';
    const onAlignment = (c: string[], s: number[]) => {
      chars += c.join('');
      starts.push(...s);
    };
    await tts.synthesize('Good day.', { onAlignment });
    expect(chars).toBe('Good day. ');
    expect(starts[5]).toBe(200); // 'd' opens the second 200 ms chunk
    await tts.close();
  });

  it('reports a bad key as an AuthenticationError naming elevenlabs', async () => {
    const tts = new ElevenLabsTTSProvider({ apiKey: 'bad', baseUrl: fake.baseUrl, voiceId: 'voice-1' });
    const err = await tts.synthesize('hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).provider).toBe('elevenlabs');
  });

  it('surfaces the inactivity timeout as a retryable error and opens a new socket next time', async () => {
    const idle = await new FakeElevenLabsTTSServer({ inactivityTimeoutMs: 400 }).start();
    try {
      const tts = new ElevenLabsTTSProvider({ apiKey: 'test-key', baseUrl: idle.baseUrl, voiceId: 'v' });
      async function* stalled() {
        yield 'Hello ';
        await new Promise((r) => setTimeout(r, 1_200));
        yield 'again.';
      }
      const err = await (async () => {
        for await (const _ of tts.synthesizeStreamInput(stalled()));
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).code).toBe('input_timeout_exceeded');
      expect((err as ProviderError).retryable).toBe(true);
      const audio = await tts.synthesize('Back.');
      expect(audio.data.byteLength).toBeGreaterThan(0);
      expect(idle.connections).toHaveLength(2);
      await tts.close();
    } finally {
      await idle.close();
    }
  });
});
