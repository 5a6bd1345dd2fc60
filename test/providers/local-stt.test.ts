import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalEngineMissingError,
  LocalSTTProvider,
  LocalTTSProvider,
  PocketSphinxSTTProvider,
} from '../../src/providers/local/index.js';
import { Resampler } from '../../src/voice/audio/resampler.js';
import type { AudioFrame, STTStreamEvent } from '../../src/voice/types.js';

const SENTENCE = 'Please call me back tomorrow morning.';

async function* inFrames(frame: AudioFrame, ms = 20): AsyncGenerator<AudioFrame> {
  const n = Math.round((frame.sampleRate * ms) / 1000) * frame.channels;
  for (let i = 0; i < frame.data.length; i += n) {
    yield { data: frame.data.subarray(i, i + n), sampleRate: frame.sampleRate, channels: frame.channels };
  }
}

async function collect(events: AsyncIterable<STTStreamEvent>): Promise<STTStreamEvent[]> {
  const out: STTStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function finalText(events: STTStreamEvent[]): string {
  const last = events.at(-1);
  return last?.type === 'final' ? last.result.text : '';
}

describe('LocalSTTProvider (pocketsphinx)', () => {
  const stt = new LocalSTTProvider();
  let speech: AudioFrame;

  beforeAll(async () => {
    const chunk = await new LocalTTSProvider({ engine: 'flite' }).synthesize(SENTENCE);
    speech = { data: new Int16Array(chunk.data.slice().buffer), sampleRate: chunk.sampleRate, channels: 1 };
  });
  afterAll(() => stt.close());

  it('is also exported as PocketSphinxSTTProvider and declares its capabilities', () => {
    expect(PocketSphinxSTTProvider).toBe(LocalSTTProvider);
    expect(stt.capabilities).toMatchObject({ streaming: true, partials: true, preferredSampleRate: 16000 });
  });

  it('batch: lower-case text, word timings and a confidence in (0, 1]', async () => {
    const r = await stt.transcribe(speech);
    expect(r.text).toBe('please call me back tomorrow morning');
    expect(r.isFinal).toBe(true);
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.words?.map((w) => w.word)).toEqual(r.text.split(' '));
    const ends = r.words?.map((w) => w.endMs ?? 0) ?? [];
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(ends.at(-1)).toBeLessThanOrEqual((speech.data.length / speech.sampleRate) * 1000 + 20);
  });

  it('batch accepts a WAV chunk and a PCM chunk', async () => {
    const bytes = new Uint8Array(speech.data.buffer.slice(0));
    const pcm = await stt.transcribe({ data: bytes, sampleRate: 16000, channels: 1, format: 'pcm_s16le' });
    expect(pcm.text).toContain('call me back tomorrow morning');
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + bytes.length, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(bytes.length, 40);
    const wav = await stt.transcribe({
      data: Buffer.concat([header, bytes]),
      sampleRate: 0,
      channels: 1,
      format: 'wav',
    });
    expect(wav.text).toContain('call me back tomorrow morning');
  });

  it('streaming yields partials as the hypothesis grows, then one final last', async () => {
    const events = await collect(stt.transcribeStream(inFrames(speech)));
    const partials = events.filter((e) => e.type === 'partial');
    expect(partials.length).toBeGreaterThan(1);
    expect(events.findIndex((e) => e.type === 'final')).toBe(events.length - 1);
    const texts = partials.map((e) => (e.type === 'partial' ? e.result.text : ''));
    expect(new Set(texts).size).toBe(texts.length); // only on change
    expect(partials.every((e) => e.type === 'partial' && e.result.isFinal === false)).toBe(true);
    expect(finalText(events)).toContain('call me back tomorrow morning');
  });

  it('streaming resamples other rates and downmixes stereo (48 kHz stereo in)', async () => {
    const up = (await Resampler.create({ inputRate: 16000, outputRate: 48000 })).process(speech.data);
    const stereo = new Int16Array(up.length * 2);
    for (let i = 0; i < up.length; i++) stereo[2 * i] = stereo[2 * i + 1] = up[i];
    const events = await collect(
      stt.transcribeStream(inFrames({ data: stereo, sampleRate: 48000, channels: 2 })),
    );
    expect(finalText(events)).toContain('call me back tomorrow morning');
  });

  it('an aborted stream ends without a final, even while waiting for input', async () => {
    const ac = new AbortController();
    let fed = 0;
    async function* stalls(): AsyncGenerator<AudioFrame> {
      for await (const f of inFrames(speech)) {
        if (fed++ === 100) break;
        yield f;
      }
      await new Promise(() => {}); // a microphone that goes quiet and never ends
    }
    const events: STTStreamEvent[] = [];
    for await (const e of stt.transcribeStream(stalls(), { signal: ac.signal })) {
      events.push(e);
      if (fed >= 100 && !ac.signal.aborted) setTimeout(() => ac.abort(), 0);
    }
    // Got here: the stream ended although its input never did.
    expect(ac.signal.aborted).toBe(true);
    expect(events.some((e) => e.type === 'partial')).toBe(true);
    expect(events.some((e) => e.type === 'final')).toBe(false);
    // The decoder was released: the next utterance decodes normally.
    expect((await stt.transcribe(speech)).text).toContain('call me back tomorrow morning');
  });

  it('an already-aborted batch call rejects with the abort reason', async () => {
    const ac = new AbortController();
    ac.abort(new Error('barge-in'));
    await expect(stt.transcribe(speech, { signal: ac.signal })).rejects.toThrow('barge-in');
  });

  it('a batch call aborted mid-decode rejects at once, and the decoder serves the next call', async () => {
    // Ten copies of the sentence: a decode of several hundred milliseconds in one native call.
    const long = new Int16Array(speech.data.length * 10);
    for (let i = 0; i < 10; i++) long.set(speech.data, i * speech.data.length);
    const ac = new AbortController();
    const started = performance.now();
    const aborted = stt.transcribe({ ...speech, data: long }, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('barge-in')), 50);
    await expect(aborted).rejects.toThrow('barge-in');
    const rejectedAfter = performance.now() - started;
    const next = await stt.transcribe(speech);
    const decodedAfter = performance.now() - started;
    expect(next.text).toContain('call me back tomorrow morning');
    // The rejection did not wait for the native call; the next call did (one decoder).
    expect(rejectedAfter).toBeLessThan(decodedAfter / 2);
  });

  it("a fresh decoder's first batch utterance is heard as well as a warm one's", async () => {
    // Each sentence as a phone caller's VAD hands it over (narrowband, a little silence either
    // side), each to a new provider: the first utterance its decoder ever sees.
    const sentences = [
      'Can you tell me the time in London?',
      'What is the weather like today?',
      'Please book a table for two at seven.',
      'I would like to speak to an agent.',
    ];
    const tts = new LocalTTSProvider({ engine: 'flite' });
    let hits = 0;
    let total = 0;
    const heard: string[] = [];
    for (const sentence of sentences) {
      const chunk = await tts.synthesize(sentence);
      const wide = new Int16Array(chunk.data.slice().buffer);
      const padded = new Int16Array(wide.length + 0.8 * chunk.sampleRate);
      padded.set(wide, 0.3 * chunk.sampleRate);
      // As a phone line carries it: nothing above 4 kHz.
      const down = await Resampler.create({ inputRate: chunk.sampleRate, outputRate: 8000 });
      const up = await Resampler.create({ inputRate: 8000, outputRate: 16000 });
      const phone = up.process(down.process(padded)).slice();
      const fresh = new LocalSTTProvider();
      const r = await fresh.transcribe({ data: phone, sampleRate: 16000, channels: 1 });
      await fresh.close();
      const said = sentence
        .toLowerCase()
        .replace(/[^a-z ]/g, '')
        .split(' ');
      const got = new Set(r.text.split(' '));
      hits += said.filter((w) => got.has(w)).length;
      total += said.length;
      heard.push(r.text);
    }
    // Decoded in blocks with a running cepstral mean (which starts from the model's prior),
    // these gave 9 words of 30 ("what what her like to do", "one"); with the utterance's own
    // mean, 27.
    expect(hits, heard.join(' / ')).toBeGreaterThanOrEqual(20);
    expect(total).toBe(30);
  });

  it('serialises concurrent streams on one decoder; each gets its own right answer', async () => {
    const other = await new LocalTTSProvider({ engine: 'flite' }).synthesize(
      'What time does the train leave?',
    );
    const otherFrame = { data: new Int16Array(other.data.slice().buffer), sampleRate: 16000, channels: 1 };
    const [a, b] = await Promise.all([
      collect(stt.transcribeStream(inFrames(speech))),
      collect(stt.transcribeStream(inFrames(otherFrame))),
    ]);
    // The decoder adapts to the speaker across utterances, so allow small word changes,
    // but each stream must hear only its own audio.
    expect(finalText(a)).toContain('call me back tomorrow morning');
    expect(finalText(a)).not.toContain('train');
    expect(finalText(b)).toContain('what time does the train');
    expect(finalText(b)).not.toContain('tomorrow');
  });

  it('a stream waiting for a busy decoder can be aborted while it waits', async () => {
    const hold = new AbortController();
    let leased: () => void = () => {};
    const decoderTaken = new Promise<void>((r) => {
      leased = r;
    });
    async function* endless(): AsyncGenerator<AudioFrame> {
      leased(); // pulled only once the stream holds the decoder
      yield { data: new Int16Array(320), sampleRate: 16000, channels: 1 };
      await new Promise(() => {});
    }
    const first = collect(stt.transcribeStream(endless(), { signal: hold.signal }));
    await decoderTaken;
    const waiting = new AbortController();
    const second = collect(stt.transcribeStream(inFrames(speech), { signal: waiting.signal }));
    waiting.abort();
    // Resolves although the only decoder is still held: the waiter left the queue.
    expect(await second).toEqual([]);
    // A third stream queues behind the holder and completes once the holder lets go.
    const third = collect(stt.transcribeStream(inFrames(speech)));
    hold.abort();
    expect((await first).some((e) => e.type === 'final')).toBe(false);
    expect(finalText(await third)).toContain('call me back tomorrow morning');
  });

  it('a missing model is a typed error naming the Debian packages', async () => {
    const broken = new LocalSTTProvider({ modelDir: '/nonexistent/model' });
    const err = await broken.warmup().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalEngineMissingError);
    expect((err as LocalEngineMissingError).debianPackages).toEqual(['pocketsphinx', 'pocketsphinx-en-us']);
    expect((err as Error).message).toContain('apt-get install pocketsphinx pocketsphinx-en-us');
    expect((err as LocalEngineMissingError).code).toBe('local_engine_missing');
  });

  it('a missing library is a typed error naming the Debian packages', async () => {
    const broken = new LocalSTTProvider({ libraryPath: 'libpocketsphinx-does-not-exist.so' });
    await expect(broken.transcribe(speech)).rejects.toBeInstanceOf(LocalEngineMissingError);
  });
});
