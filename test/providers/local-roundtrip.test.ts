import { afterAll, describe, expect, it } from 'vitest';
import { LocalSTTProvider, LocalTTSProvider } from '../../src/providers/local/index.js';
import type { AudioChunk, AudioFrame, STTStreamEvent } from '../../src/voice/types.js';

// The offline round trip the spike proved: flite (voice rms) speaks, pocketsphinx listens.
// Synthetic speech through a small-vocabulary-ish model is not exact, so we score word overlap.
const SENTENCES = [
  'The weather is nice today.',
  'Please call me back tomorrow morning.',
  'I would like to book a table for two people.',
  'What time does the train leave?',
  'Thank you very much for your help.',
];

const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

/** Fraction of the reference words found in the hypothesis (each hypothesis word used once). */
function overlap(reference: string, hypothesis: string): number {
  const pool = words(hypothesis);
  const ref = words(reference);
  let hit = 0;
  for (const w of ref) {
    const i = pool.indexOf(w);
    if (i >= 0) {
      hit++;
      pool.splice(i, 1);
    }
  }
  return hit / ref.length;
}

function chunkToFrame(chunk: AudioChunk): AudioFrame {
  const data = new Int16Array(
    chunk.data.buffer.slice(chunk.data.byteOffset, chunk.data.byteOffset + chunk.data.byteLength),
  );
  return { data, sampleRate: chunk.sampleRate, channels: 1 };
}

async function* inFrames(frame: AudioFrame, ms = 20): AsyncGenerator<AudioFrame> {
  const n = (frame.sampleRate * ms) / 1000;
  for (let i = 0; i < frame.data.length; i += n) {
    yield { data: frame.data.subarray(i, i + n), sampleRate: frame.sampleRate, channels: 1 };
  }
}

// Real engines on a 2-core machine shared with the rest of the suite: the first test also loads
// the acoustic model. 20 s was not always enough under full load; the work itself is bounded.
describe('offline round trip: flite rms -> pocketsphinx', { timeout: 60_000 }, () => {
  const tts = new LocalTTSProvider({ engine: 'flite' });
  const stt = new LocalSTTProvider();
  afterAll(() => stt.close());

  it('batch transcription recognises most words', async () => {
    await stt.warmup();
    let hits = 0;
    let total = 0;
    let audioMs = 0;
    let decodeMs = 0;
    for (const sentence of SENTENCES) {
      const frame = chunkToFrame(await tts.synthesize(sentence));
      const t0 = performance.now();
      const result = await stt.transcribe(frame);
      decodeMs += performance.now() - t0;
      audioMs += (frame.data.length * 1000) / frame.sampleRate;
      expect(result.isFinal).toBe(true);
      expect(result.text).toBe(result.text.toLowerCase());
      const o = overlap(sentence, result.text);
      console.log(`batch  ${(o * 100).toFixed(0).padStart(3)}%  "${sentence}" -> "${result.text}"`);
      hits += o * words(sentence).length;
      total += words(sentence).length;
    }
    const score = hits / total;
    console.log(
      `batch word overlap ${(score * 100).toFixed(1)}%, ${(audioMs / decodeMs).toFixed(1)}x real time`,
    );
    expect(score).toBeGreaterThanOrEqual(0.6);
  });

  it('streaming transcription of 20 ms frames recognises most words', async () => {
    let hits = 0;
    let total = 0;
    for (const sentence of SENTENCES) {
      const frame = chunkToFrame(await tts.synthesize(sentence));
      const events: STTStreamEvent[] = [];
      for await (const e of stt.transcribeStream(inFrames(frame))) events.push(e);
      const final = events.at(-1);
      expect(final?.type).toBe('final');
      const text = final?.type === 'final' ? final.result.text : '';
      const o = overlap(sentence, text);
      console.log(`stream ${(o * 100).toFixed(0).padStart(3)}%  "${sentence}" -> "${text}"`);
      hits += o * words(sentence).length;
      total += words(sentence).length;
    }
    const score = hits / total;
    console.log(`stream word overlap ${(score * 100).toFixed(1)}%`);
    expect(score).toBeGreaterThanOrEqual(0.6);
  });

  it('all sentences as one utterance, streamed from synthesizeStream chunks', async () => {
    const text = SENTENCES.join(' ');
    async function* frames(): AsyncGenerator<AudioFrame> {
      for await (const chunk of tts.synthesizeStream(text)) yield* inFrames(chunkToFrame(chunk));
    }
    let final = '';
    for await (const e of stt.transcribeStream(frames())) if (e.type === 'final') final = e.result.text;
    const score = overlap(text, final);
    console.log(`one-utterance word overlap ${(score * 100).toFixed(1)}%: "${final}"`);
    expect(score).toBeGreaterThanOrEqual(0.6);
  });
});
