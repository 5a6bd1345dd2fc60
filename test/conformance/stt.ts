import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioFrame, STTProvider, STTStreamEvent } from '../../src/voice/types.js';
import { itemsAfterAbort } from './abort.js';

/**
 * The STT conformance suite: every STTProvider (mocks, vendors, offline) runs it with its
 * own factory and audio. Provider-agnostic on purpose: the caller says what the audio
 * says and how close the transcript must be.
 */
export interface STTConformanceSetup {
  /** Suite title. */
  name: string;
  /** Called once per test; may start servers in `beforeAll`. */
  create: () => STTProvider | Promise<STTProvider>;
  /** Speech as frames (any rate the provider accepts). */
  audio: () => AudioFrame[] | Promise<AudioFrame[]>;
  /** What the speech says. */
  expectedText: string;
  /** Fraction of expected words the transcript must contain (default 0.8). */
  minWordOverlap?: number;
  beforeAll?: () => Promise<void>;
  afterAll?: () => Promise<void>;
}

/** Fraction of the expected words found in `actual` (case and punctuation ignored, multiset). */
export function wordOverlap(expected: string, actual: string): number {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s']/gu, ' ')
      .split(/\s+/)
      .filter(Boolean);
  const want = norm(expected);
  if (want.length === 0) return 1;
  const have = new Map<string, number>();
  for (const w of norm(actual)) have.set(w, (have.get(w) ?? 0) + 1);
  let hits = 0;
  for (const w of want) {
    const n = have.get(w) ?? 0;
    if (n > 0) {
      hits++;
      have.set(w, n - 1);
    }
  }
  return hits / want.length;
}

/** Frames as a stream that then stays open (a live microphone) until the consumer stops. */
export async function* liveSource(frames: AudioFrame[], signal?: AbortSignal): AsyncGenerator<AudioFrame> {
  for (const f of frames) {
    await new Promise((r) => setImmediate(r));
    yield f;
  }
  await new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function* finiteSource(frames: AudioFrame[]): AsyncGenerator<AudioFrame> {
  for (const f of frames) {
    await new Promise((r) => setImmediate(r));
    yield f;
  }
}

function mergeFrames(frames: AudioFrame[]): AudioFrame {
  const total = frames.reduce((n, f) => n + f.data.length, 0);
  const data = new Int16Array(total);
  let o = 0;
  for (const f of frames) {
    data.set(f.data, o);
    o += f.data.length;
  }
  return { data, sampleRate: frames[0].sampleRate, channels: frames[0].channels };
}

const EVENT_TYPES = new Set(['speech-start', 'partial', 'final', 'end-of-turn', 'vad']);

export function describeSTTConformance(setup: STTConformanceSetup): void {
  const minOverlap = setup.minWordOverlap ?? 0.8;

  describe(`STT conformance: ${setup.name}`, () => {
    if (setup.beforeAll) beforeAll(setup.beforeAll);
    if (setup.afterAll) afterAll(setup.afterAll);

    it('declares a name and coherent capabilities', async () => {
      const stt = await setup.create();
      expect(stt.name).toMatch(/\S/);
      expect(typeof stt.capabilities.streaming).toBe('boolean');
      if (stt.capabilities.partials) expect(stt.capabilities.streaming).toBe(true);
      if (stt.capabilities.preferredSampleRate !== undefined) {
        expect(Number.isInteger(stt.capabilities.preferredSampleRate)).toBe(true);
        expect(stt.capabilities.preferredSampleRate).toBeGreaterThan(0);
      }
      await stt.close?.();
    });

    it('transcribes a whole utterance in one call', async () => {
      const stt = await setup.create();
      const result = await stt.transcribe(mergeFrames(await setup.audio()));
      expect(result.isFinal).toBe(true);
      expect(wordOverlap(setup.expectedText, result.text)).toBeGreaterThanOrEqual(minOverlap);
      await stt.close?.();
    });

    it('streams well-formed events, ends with the input, and its finals carry the speech', async () => {
      const stt = await setup.create();
      const events: STTStreamEvent[] = [];
      for await (const e of stt.transcribeStream(finiteSource(await setup.audio()))) events.push(e);
      for (const e of events) {
        expect(EVENT_TYPES.has(e.type)).toBe(true);
        if (e.type === 'partial') expect(e.result.isFinal).toBe(false);
        if (e.type === 'final') expect(e.result.isFinal).toBe(true);
        if (e.type === 'vad') for (const h of e.horizons) expect(h.inactivityProb).toBeGreaterThanOrEqual(0);
      }
      const finals = events.flatMap((e) => (e.type === 'final' ? [e.result.text] : []));
      expect(finals.length).toBeGreaterThan(0);
      expect(wordOverlap(setup.expectedText, finals.join(' '))).toBeGreaterThanOrEqual(minOverlap);
      // Nothing of the speech is left in a partial after the last final.
      const lastFinal = events.map((e) => e.type).lastIndexOf('final');
      expect(events.slice(lastFinal + 1).some((e) => e.type === 'partial')).toBe(false);
      await stt.close?.();
    });

    it('ends quietly on empty input', async () => {
      const stt = await setup.create();
      const finals: string[] = [];
      for await (const e of stt.transcribeStream(finiteSource([])))
        if (e.type === 'final') finals.push(e.result.text);
      expect(finals.join('').trim()).toBe('');
      await stt.close?.();
    });

    it('stops at once when the signal aborts, even with a live source', async () => {
      const stt = await setup.create();
      const controller = new AbortController();
      const stream = stt.transcribeStream(liveSource(await setup.audio(), controller.signal), {
        signal: controller.signal,
      });
      expect(await itemsAfterAbort(stream, controller)).toBe(0);
      await stt.close?.();
    });
  });
}
