import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoDelayEstimator } from '../../../src/voice/echo/delay-estimator.js';
import { seededRandom } from '../audio/signals.js';
import { REPLIES, SpeechCache } from './speech-fixtures.js';

const RATE = 16_000;
let speech: SpeechCache;
let far: Int16Array; // three replies with a second of silence after each
let caller: Int16Array;

beforeAll(async () => {
  speech = new SpeechCache();
  const parts = [];
  for (const text of REPLIES.slice(0, 3)) parts.push(await speech.speech(text), new Int16Array(RATE));
  far = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    far.set(p, at);
    at += p.length;
  }
  caller = await speech.interruption(0);
}, 30_000);
afterAll(() => speech?.dispose());

/** The microphone: `far` delayed (by `delayAt(sample)`), attenuated, with -50 dBFS noise. */
function microphone(delayAt: (i: number) => number, gainDb: number, talk?: { at: number; pcm: Int16Array }) {
  const random = seededRandom(3);
  const g = 10 ** (gainDb / 20);
  const mic = new Int16Array(far.length);
  for (let i = 0; i < far.length; i++) {
    const d = delayAt(i);
    let v = (i >= d ? far[i - d] * g : 0) + (random() * 2 - 1) * 180;
    if (talk && i >= talk.at && i < talk.at + talk.pcm.length) v += talk.pcm[i - talk.at];
    mic[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return mic;
}

function track(mic: Int16Array) {
  const estimator = new EchoDelayEstimator({ sampleRate: RATE });
  const changes: { atMs: number; delayMs: number }[] = [];
  for (let i = 0; i + 320 <= far.length; i += 320) {
    const silent = !far.subarray(Math.max(0, i - 12_800), i + 320).some((v) => Math.abs(v) > 100);
    const change = estimator.push(mic.subarray(i, i + 320), far.subarray(i, i + 320), silent);
    if (change) changes.push({ atMs: (i * 1000) / RATE, delayMs: change.delayMs });
  }
  return { estimator, changes };
}

describe('EchoDelayEstimator', () => {
  it.each([
    [40, -6],
    [120, -20],
    [250, -6],
    [500, -20],
  ])('finds a %i ms echo path at %i dB within 4 ms, within 2.5 s of the first reply', (delayMs, gainDb) => {
    const { estimator, changes } = track(microphone(() => (delayMs * RATE) / 1000, gainDb));
    expect(changes[0]!.atMs).toBeLessThan(2500);
    expect(Math.abs(changes[0]!.delayMs - delayMs)).toBeLessThanOrEqual(4);
    expect(Math.abs(estimator.estimate!.delayMs - delayMs)).toBeLessThanOrEqual(4);
  });

  it('follows the path when it changes (a jitter buffer growing from 120 to 200 ms)', () => {
    const switchAt = Math.round(far.length / 3);
    const { estimator, changes } = track(microphone((i) => (i < switchAt ? 1920 : 3200), -6));
    expect(Math.abs(changes[0]!.delayMs - 120)).toBeLessThanOrEqual(4);
    expect(Math.abs(estimator.estimate!.delayMs - 200)).toBeLessThanOrEqual(4);
  });

  it('is not moved by the caller talking over the echo', () => {
    const talk = { at: 2 * RATE, pcm: caller };
    const { estimator, changes } = track(microphone(() => (250 * RATE) / 1000, -6, talk));
    expect(changes.every((c) => Math.abs(c.delayMs - 250) <= 8)).toBe(true);
    expect(Math.abs(estimator.estimate!.delayMs - 250)).toBeLessThanOrEqual(4);
  });

  it('says nothing while nothing plays', () => {
    const estimator = new EchoDelayEstimator({ sampleRate: RATE });
    const random = seededRandom(9);
    const noise = Int16Array.from({ length: 5 * RATE }, () => Math.round((random() * 2 - 1) * 2000));
    for (let i = 0; i < noise.length; i += 320) {
      expect(estimator.push(noise.subarray(i, i + 320), new Int16Array(320))).toBeUndefined();
    }
    expect(estimator.estimate).toBeUndefined();
  });
});
