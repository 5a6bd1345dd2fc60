import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError } from '../../src/core/errors.js';
import { GradiumTTSProvider, type GradiumTTSOptions } from '../../src/providers/gradium/index.js';
import { FakeGradiumTTSServer, receivedOfType } from '../../src/testing/fake-speech/index.js';
import type { AudioChunk, TranscriptionWord } from '../../src/voice/types.js';
import { describeTTSConformance } from '../conformance/tts.js';

let fake: FakeGradiumTTSServer;
beforeAll(async () => {
  fake = await new FakeGradiumTTSServer().start();
});
afterAll(async () => {
  await fake.close();
});

const provider = (opts: GradiumTTSOptions = {}) =>
  new GradiumTTSProvider({ apiKey: 'test-key', endpoint: fake.endpoint, ...opts });

async function* tokens(list: string[], gate?: (i: number) => Promise<void>): AsyncGenerator<string> {
  for (const [i, t] of list.entries()) {
    await gate?.(i);
    yield t;
  }
}

describeTTSConformance({
  name: 'GradiumTTSProvider (fake server)',
  create: () => provider(),
  text: 'Hello there. How can I help you with your booking today?',
  dropSockets: () => fake.dropAll(),
});

describe('GradiumTTSProvider', () => {
  it('declares 48 kHz PCM so the pipeline resamples, and sends the voice settings in setup', async () => {
    const tts = provider({
      voiceId: 'axlOaUiFyOZhy4nv',
      speed: -1,
      temp: 0.4,
      rewriteRules: 'fr',
      modelName: 'default',
    });
    expect(tts.capabilities).toEqual({ streaming: true, streamingInput: true, sampleRate: 48_000 });
    const before = fake.connections.length;
    const audio = await tts.synthesize('Bonjour à tous.');
    expect(audio).toMatchObject({ sampleRate: 48_000, channels: 1, format: 'pcm_s16le' });
    expect(audio.data.byteLength).toBe(3 * 3 * 3840 * 2); // three words x 0.24 s at 48 kHz
    const [setup] = receivedOfType(fake.connections[before], 'setup');
    expect(setup).toMatchObject({
      voice_id: 'axlOaUiFyOZhy4nv',
      output_format: 'pcm',
      close_ws_on_eos: false,
      json_config: { padding_bonus: -1, temp: 0.4, rewrite_rules: 'fr' },
    });
    expect(typeof setup.client_req_id).toBe('string');
    await tts.close();
  });

  it('chunks LLM tokens into phrases with <flush> at sentence ends; first audio comes before the last token', async () => {
    const tts = provider();
    const before = fake.connections.length;
    let firstAudio!: () => void;
    const heard = new Promise<void>((r) => (firstAudio = r));
    let audioBeforeLast = false;
    const list = ['Sure', ', ', 'I can ', 'help. ', 'What ', 'time ', 'works ', 'for ', 'you?'];
    const chunks: AudioChunk[] = [];
    for await (const c of tts.synthesizeStreamInput(
      tokens(list, async (i) => {
        if (i === list.length - 1)
          audioBeforeLast = await Promise.race([heard.then(() => true), sleep(5_000).then(() => false)]);
      }),
    )) {
      chunks.push(c);
      firstAudio();
    }
    expect(audioBeforeLast).toBe(true);
    const texts = receivedOfType(fake.connections[before], 'text').map((m) => m.text);
    expect(texts).toEqual(['Sure, I can help. <flush>', 'What time works for you? <flush>']);
    expect(chunks.length).toBe(9 * 3); // nine words, three 80 ms chunks each
    await tts.close();
  });

  it('reuses one socket for several replies, each with its own client_req_id', async () => {
    const tts = provider();
    const before = fake.connections.length;
    const replies = await Promise.all(
      ['One reply.', 'Another reply here.', 'Third.'].map((t) => tts.synthesize(t)),
    );
    await tts.synthesize('And a later one.');
    expect(fake.connections.length - before).toBe(1);
    const conn = fake.connections[before];
    const ids = receivedOfType(conn, 'setup').map((s) => s.client_req_id);
    expect(new Set(ids).size).toBe(4);
    // Each reply got only its own audio: the fake fills a request's samples with its ordinal.
    const ordinals = replies.map(
      (r) => new Set(new Int16Array(r.data.buffer, r.data.byteOffset, r.data.byteLength / 2)),
    );
    for (const o of ordinals) expect(o.size).toBe(1);
    expect(new Set(ordinals.map((o) => [...o][0])).size).toBe(3);
    await tts.close();
  });

  it('stops the reply at once when aborted, while the server is still sending', async () => {
    fake.options.chunkIntervalMs = 20;
    try {
      const tts = provider();
      const controller = new AbortController();
      const it = tts.synthesizeStream('one two three four five six seven eight nine ten.', {
        signal: controller.signal,
      });
      const iterator = it[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      const pending = iterator.next(); // waiting for the next chunk
      controller.abort();
      expect(await pending).toEqual({ done: true, value: undefined });
      expect((await iterator.next()).done).toBe(true);
      // The socket stays usable for the next reply.
      const next = await tts.synthesize('Still here.');
      expect(next.data.byteLength).toBeGreaterThan(0);
      await tts.close();
    } finally {
      fake.options.chunkIntervalMs = 0;
    }
  });

  it('reports word timestamps as they are voiced', async () => {
    const tts = provider();
    const words: string[] = [];
    const onWord = (w: TranscriptionWord) => words.push(`${w.word}@${w.startMs}`);
    await tts.synthesize('Good morning, Sam.', { onWord });
    expect(words).toEqual(['Good@0', 'morning,@240', 'Sam.@480']);
    await tts.close();
  });

  it('reports a bad key as an AuthenticationError naming gradium', async () => {
    const tts = new GradiumTTSProvider({ apiKey: 'nope', endpoint: fake.endpoint });
    const err = await tts.synthesize('hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).provider).toBe('gradium');
    await tts.close();
  });

  it('opens a fresh socket for new replies once the current one nears the session cap', async () => {
    const tts = provider({ maxSocketAgeS: 0 });
    const before = fake.connections.length;
    await tts.synthesize('First.');
    await tts.synthesize('Second.');
    expect(fake.connections.length - before).toBe(2);
    await tts.close();
  });

  it('clones, lists, renames and deletes voices over REST', async () => {
    const tts = provider();
    const uid = await tts.voices.create({
      audio: new Uint8Array(48_000),
      name: 'Brand',
      language: 'en',
      filename: 'brand.wav',
    });
    expect(fake.voices.samples.get(uid)).toBe(48_000);
    expect((await tts.voices.list()).map((v) => v.name)).toEqual(['Brand']);
    expect((await tts.voices.list({ includeCatalog: true })).length).toBe(3);
    expect((await tts.voices.update(uid, { name: 'Brand 2' })).name).toBe('Brand 2');
    await tts.voices.delete(uid);
    expect(await tts.voices.list()).toEqual([]);
    await expect(tts.voices.get(uid)).rejects.toBeInstanceOf(NotFoundError);
    const bad = new GradiumTTSProvider({ apiKey: 'nope', endpoint: fake.endpoint });
    await expect(bad.voices.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
