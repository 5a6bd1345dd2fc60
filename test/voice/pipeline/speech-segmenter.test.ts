/**
 * The segmenter reuses one buffer for every utterance; a SPEECH_END's audio is copied out
 * when first read, or when the next utterance starts if nobody read it yet. Whoever reads it,
 * whenever, gets that utterance and nothing later.
 */
import { describe, expect, it, vi } from 'vitest';
import { fullGc } from '../../helpers/full-gc.js';
import { lendAudio } from '../../../src/voice/pipeline/lazy-audio.js';
import { SpeechSegmenter } from '../../../src/voice/pipeline/speech-segmenter.js';
import type { VADEvent } from '../../../src/voice/pipeline/stages.js';

const RATE = 16_000;
const FRAME = 320; // 20 ms

/** Feeds `frames` frames of `value` (speech when value != 0); returns the events it made. */
function feed(seg: SpeechSegmenter, value: number, frames: number): VADEvent[] {
  const events: VADEvent[] = [];
  for (let i = 0; i < frames; i++) {
    const e = seg.update(new Int16Array(FRAME).fill(value), value !== 0);
    if (e) events.push(e);
  }
  return events;
}

/** One utterance of `value` (500 ms), then the 200 ms of silence that ends it. */
function utterance(seg: SpeechSegmenter, value: number): VADEvent {
  const events = [...feed(seg, value, 25), ...feed(seg, 0, 10)];
  expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
  return events[1]!;
}

const segmenter = () => new SpeechSegmenter(RATE, { minSpeechMs: 40, silenceMs: 200, prerollMs: 0 });

describe('SpeechSegmenter hand-over', () => {
  it('an utterance read after the next one was spoken is still its own audio', () => {
    const seg = segmenter();
    const first = utterance(seg, 1000);
    const second = utterance(seg, 2000); // written into the same buffer
    const a = first.audio!;
    const b = second.audio!;
    expect(a.length).toBe(b.length);
    expect(new Set(a.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    expect(new Set(b.subarray(0, 25 * FRAME))).toEqual(new Set([2000]));
    expect(a.subarray(25 * FRAME).every((s) => s === 0)).toBe(true);
  });

  it('an utterance read at once is a copy: later speech does not change it', () => {
    const seg = segmenter();
    const event = utterance(seg, 1000);
    const audio = event.audio!;
    expect(event.audio).toBe(audio); // read twice, one copy
    utterance(seg, 3000);
    feed(seg, 4000, 30); // a third one still under way
    expect(new Set(audio.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    expect(audio.buffer.byteLength).toBe(audio.byteLength); // its own memory, not a view
  });

  it('a spread or an equality check sees the audio as a value', () => {
    const seg = segmenter();
    const event = utterance(seg, 1000);
    const copy = { ...event };
    utterance(seg, 2000);
    expect(copy.audio!.length).toBe(event.durationMs! * (RATE / 1000));
    expect(new Set(copy.audio!.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    expect(event).toEqual({
      type: 'speech_end',
      audio: copy.audio,
      durationMs: event.durationMs,
      silenceMs: event.silenceMs,
    });
  });

  it('an utterance nobody read is still handed over when the next one starts in a later job', async () => {
    const seg = segmenter();
    const first = utterance(seg, 1000);
    await new Promise((resolve) => setImmediate(resolve)); // the job that made it ends
    utterance(seg, 2000);
    expect(new Set(first.audio!.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
  });

  it('a whole recording fed in one job keeps no utterance nobody holds', () => {
    // Measured where a WeakRef made in this job would keep every unread event alive.
    const seg = new SpeechSegmenter(RATE, { minSpeechMs: 40, silenceMs: 200, prerollMs: 0 });
    const speech = new Int16Array(FRAME).fill(1000);
    const silence = new Int16Array(FRAME);
    const run = (utterances: number) => {
      for (let u = 0; u < utterances; u++) {
        for (let i = 0; i < 50; i++) seg.update(speech, true); // 1 s: a 32 KB copy when handed over
        for (let i = 0; i < 10; i++) seg.update(silence, false);
      }
    };
    run(2);
    fullGc();
    const before = process.memoryUsage().arrayBuffers;
    run(100);
    fullGc();
    const retained = process.memoryUsage().arrayBuffers - before;
    // 100 unread utterances of 1.2 s would be 3.8 MB; the segmenter's own buffers are reused.
    expect(retained).toBeLessThan(512 * 1024);
  });

  it('a SPEECH_END kept through a turn is small: one getter shared by all events, no closure each', () => {
    const seg = segmenter();
    const speech = new Int16Array(FRAME).fill(1000);
    const silence = new Int16Array(FRAME);
    const kept: VADEvent[] = [];
    const run = (utterances: number) => {
      for (let u = 0; u < utterances; u++) {
        for (let i = 0; i < 5; i++) seg.update(speech, true);
        for (let i = 0; i < 10; i++) {
          const event = seg.update(silence, false);
          if (event?.type === 'speech_end') kept.push(event);
        }
      }
    };
    run(10);
    fullGc();
    const before = process.memoryUsage().heapUsed;
    const from = kept.length;
    run(5000);
    fullGc();
    const perEvent = (process.memoryUsage().heapUsed - before) / (kept.length - from);
    // Measured here: about 500 bytes an event (with its hand-over and the view it reads); with
    // a getter made per event, its closure and a property dictionary, about 820.
    expect(perEvent).toBeLessThan(650);
    expect({ ...kept.at(-1)! }.audio).toHaveLength(5 * FRAME + 10 * FRAME);
  });

  it('a lent utterance is the buffer itself, reused by the next utterance once it is given back', () => {
    const seg = segmenter();
    const first = utterance(seg, 1000) as VADEvent & { audio: Int16Array };
    const lent = lendAudio(first);
    expect(new Set(lent.audio.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    expect(lent.audio.buffer.byteLength).toBeGreaterThan(lent.audio.byteLength); // a view, no copy
    lent.release();
    lent.release(); // twice is once
    const second = utterance(seg, 2000) as VADEvent & { audio: Int16Array };
    const again = lendAudio(second);
    expect(again.audio.buffer).toBe(lent.audio.buffer); // the same memory, written over
    expect(new Set(again.audio.subarray(0, 25 * FRAME))).toEqual(new Set([2000]));
    again.release();
  });

  it('a buffer still lent when the next utterance starts is left to its borrower', () => {
    const seg = segmenter();
    const first = utterance(seg, 1000) as VADEvent & { audio: Int16Array };
    const lent = lendAudio(first); // an STT call still under way
    const second = utterance(seg, 2000) as VADEvent & { audio: Int16Array };
    feed(seg, 3000, 30); // and a third utterance under way
    expect(new Set(lent.audio.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    const next = lendAudio(second);
    expect(next.audio.buffer).not.toBe(lent.audio.buffer);
    expect(new Set(next.audio.subarray(0, 25 * FRAME))).toEqual(new Set([2000]));
    // Read while the loan is out, the first utterance is still its own audio, in a copy.
    const copy = first.audio;
    expect(new Set(copy.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
    expect(copy.buffer.byteLength).toBe(copy.byteLength);
    lent.release();
    expect(first.audio).toBe(copy);
    next.release();
  });

  it('an utterance given back has no audio left to read, and nothing is copied for it', () => {
    const seg = segmenter();
    const event = utterance(seg, 1000) as VADEvent & { audio: Int16Array };
    const lent = lendAudio(event);
    const buffer = lent.audio.buffer;
    lent.release();
    expect(() => event.audio).toThrow(expect.objectContaining({ code: 'audio_given_back' }));
    const next = lendAudio(utterance(seg, 2000) as VADEvent & { audio: Int16Array });
    expect(next.audio.buffer).toBe(buffer);
    next.release();
  });

  it('an utterance already read lends its copy', () => {
    const seg = segmenter();
    const event = utterance(seg, 1000) as VADEvent & { audio: Int16Array };
    const copy = event.audio;
    const lent = lendAudio(event);
    expect(lent.audio).toBe(copy);
    lent.release();
    utterance(seg, 2000);
    expect(new Set(copy.subarray(0, 25 * FRAME))).toEqual(new Set([1000]));
  });

  it('an event that does not lend gives its audio as it is', () => {
    const audio = new Int16Array([1, 2, 3]);
    const lent = lendAudio({ audio });
    expect(lent.audio).toBe(audio);
    lent.release();
  });

  it('utterances lent and given back in later jobs are never copied', async () => {
    // Before, the segmenter's WeakRef still reached each one when the next utterance started
    // (only a mark-compact clears a WeakRef), so every utterance was copied then.
    const seg = segmenter();
    const slice = vi.spyOn(Int16Array.prototype, 'slice');
    try {
      for (let i = 0; i < 20; i++) {
        const event = utterance(seg, 1000 + i) as VADEvent & { audio: Int16Array };
        await new Promise((resolve) => setImmediate(resolve)); // the turn runs in a later job
        const lent = lendAudio(event);
        expect(lent.audio[0]).toBe(1000 + i);
        lent.release();
      }
      expect(slice).not.toHaveBeenCalled();
    } finally {
      slice.mockRestore();
    }
  });
});
