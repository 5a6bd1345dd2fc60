import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EspeakTTSProvider,
  FliteTTSProvider,
  LocalEngineMissingError,
  LocalTTSProvider,
  SentenceSplitter,
  splitSentences,
} from '../../src/providers/local/index.js';
import type { AudioChunk } from '../../src/voice/types.js';

const seconds = (c: AudioChunk) => c.data.length / 2 / c.sampleRate;

function rms(c: AudioChunk): number {
  const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  let sum = 0;
  for (let i = 0; i < c.data.length; i += 2) sum += view.getInt16(i, true) ** 2;
  return Math.sqrt(sum / (c.data.length / 2));
}

/** Live child processes of this test worker running `comm` (from /proc, so we see real processes). */
function children(comm: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
      if (m && m[1] === comm && Number(m[3]) === process.pid && m[2] !== 'Z') out.push(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** A text stream driven by the test: each push resolves one pending `next()`. */
function textSource() {
  const queue: (string | null)[] = [];
  let wake: (() => void) | undefined;
  const source = {
    push(t: string | null) {
      queue.push(t);
      wake?.();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<string> {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const t = queue.shift();
        if (t === null || t === undefined) return;
        yield t;
      }
    },
  };
  return source;
}

const LONG = Array.from({ length: 80 }, (_, i) => `This is sentence number ${i + 1} of a long text`).join(
  ', ',
);

for (const [engine, rate, Provider] of [
  ['flite', 16000, FliteTTSProvider],
  ['espeak-ng', 22050, EspeakTTSProvider],
] as const) {
  describe(`LocalTTSProvider (${engine})`, () => {
    const tts = new Provider();

    it('declares its rate and returns PCM s16 of plausible duration at that rate', async () => {
      expect(tts.name).toBe(engine);
      expect(tts.capabilities).toEqual({ streaming: true, streamingInput: true, sampleRate: rate });
      const chunk = await tts.synthesize('Hello there, how are you doing today?');
      expect(chunk).toMatchObject({ sampleRate: rate, channels: 1, format: 'pcm_s16le', isFinal: true });
      // Seven words of ordinary speech: well over one second, well under five.
      expect(seconds(chunk)).toBeGreaterThan(1);
      expect(seconds(chunk)).toBeLessThan(5);
      expect(rms(chunk)).toBeGreaterThan(300); // speech, not silence
      const longer = await tts.synthesize(
        'Hello there, how are you doing today? I am fine, thank you very much.',
      );
      expect(seconds(longer)).toBeGreaterThan(seconds(chunk) * 1.5);
    });

    it('synthesizeStream yields one chunk per sentence, with running timestamps', async () => {
      const chunks: AudioChunk[] = [];
      for await (const c of tts.synthesizeStream('Good morning. The meeting starts at nine. See you there!'))
        chunks.push(c);
      expect(chunks).toHaveLength(3);
      expect(chunks.map((c) => c.isFinal)).toEqual([false, false, true]);
      expect(chunks[0].timestampMs).toBe(0);
      expect(chunks[1].timestampMs).toBeCloseTo(seconds(chunks[0]) * 1000, 3);
      for (const c of chunks) {
        expect(c.sampleRate).toBe(rate);
        expect(seconds(c)).toBeGreaterThan(0.4);
      }
    });

    it('synthesizeStreamInput speaks the first sentence before the second has been written', async () => {
      const source = textSource();
      const audio = tts.synthesizeStreamInput(source)[Symbol.asyncIterator]();
      source.push('Hello');
      source.push(' there.');
      const first = await audio.next();
      expect(first.done).toBe(false);
      expect(seconds(first.value as AudioChunk)).toBeGreaterThan(0.3);
      // Only now does the rest of the text exist.
      source.push(' How are you');
      source.push(' today?');
      source.push(null);
      const rest: AudioChunk[] = [];
      for (let r = await audio.next(); !r.done; r = await audio.next()) rest.push(r.value);
      expect(rest).toHaveLength(1);
      expect(seconds(rest[0])).toBeGreaterThan(0.5);
      expect(rest[0].timestampMs).toBeCloseTo(seconds(first.value as AudioChunk) * 1000, 3);
    });

    it('abort kills the engine process and rejects synthesize', async () => {
      const ac = new AbortController();
      const long = engine === 'flite' ? LONG : `${LONG}, ${LONG}, ${LONG}, ${LONG}, ${LONG}, ${LONG}`;
      const pending = tts.synthesize(long, { signal: ac.signal });
      pending.catch(() => {});
      await expect.poll(() => children(engine).length, { interval: 5, timeout: 5000 }).toBeGreaterThan(0);
      ac.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(children(engine)).toEqual([]);
    });

    it('abort ends a stream and kills the sentence being synthesised', async () => {
      const ac = new AbortController();
      const text = `Short first sentence. ${LONG}. ${LONG}. ${LONG}.`;
      const chunks: AudioChunk[] = [];
      for await (const c of tts.synthesizeStream(text, { signal: ac.signal })) {
        chunks.push(c);
        await expect.poll(() => children(engine).length, { interval: 5, timeout: 5000 }).toBeGreaterThan(0);
        ac.abort();
      }
      expect(chunks).toHaveLength(1);
      expect(children(engine)).toEqual([]);
    });

    it('a missing binary is a typed error naming the Debian package', async () => {
      const broken = new Provider({ binaryPath: `/nonexistent/${engine}` });
      const err = await broken.synthesize('hello').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalEngineMissingError);
      expect((err as LocalEngineMissingError).debianPackages).toEqual([engine]);
      expect((err as Error).message).toContain(`apt-get install ${engine}`);
      await expect(broken.warmup()).rejects.toBeInstanceOf(LocalEngineMissingError);
    });
  });
}

describe('LocalTTSProvider options', () => {
  it('engine option picks the engine; per-call voice overrides the default', async () => {
    const espeak = new LocalTTSProvider({ engine: 'espeak-ng' });
    expect(espeak.capabilities.sampleRate).toBe(22050);
    const flite = new LocalTTSProvider();
    expect(flite.name).toBe('flite');
    // flite's `kal` voice is 8 kHz: still delivered at the declared 16 kHz.
    const kal = await flite.synthesize('Testing one two three.', { voice: 'kal' });
    const rmsVoice = await flite.synthesize('Testing one two three.');
    expect(kal.sampleRate).toBe(16000);
    expect(kal.data).not.toEqual(rmsVoice.data);
    expect(seconds(kal)).toBeGreaterThan(0.8);
  });

  it('empty text gives an empty final chunk and an empty stream', async () => {
    const tts = new LocalTTSProvider();
    const chunk = await tts.synthesize('   ');
    expect(chunk.data.length).toBe(0);
    const chunks: AudioChunk[] = [];
    for await (const c of tts.synthesizeStream('')) chunks.push(c);
    expect(chunks).toEqual([]);
  });
});

describe('SentenceSplitter', () => {
  it('splits complete text, keeping abbreviations and decimals inside sentences', () => {
    expect(splitSentences('Dr. Smith paid 3.50 dollars. Really?! Yes... "Fine." OK')).toEqual([
      'Dr. Smith paid 3.50 dollars.',
      'Really?!',
      'Yes...',
      '"Fine."',
      'OK',
    ]);
  });

  it('releases a sentence as soon as its end arrives, but not a digit that may continue', () => {
    const s = new SentenceSplitter();
    expect(s.push('Hello')).toEqual([]);
    expect(s.push(' there.')).toEqual(['Hello there.']);
    expect(s.push(' It costs 3.')).toEqual([]);
    expect(s.push('14 euros. And')).toEqual(['It costs 3.14 euros.']);
    expect(s.flush()).toEqual(['And']);
  });

  it('cuts a run-on sentence at a clause once it is too long', () => {
    const s = new SentenceSplitter({ maxChars: 40 });
    const out = s.push('one two three four five, six seven eight nine ten eleven');
    expect(out).toEqual(['one two three four five,']);
    expect(s.flush()).toEqual(['six seven eight nine ten eleven']);
  });
});
