import { describe, expect, it } from 'vitest';
import { GoertzelDTMFDetector } from '../../../src/voice/pipeline/goertzel-dtmf.js';
import { DTMF_DIGITS, type DTMFStage } from '../../../src/voice/pipeline/stages.js';
import { concat, dtmfTone, frames, noise, silence, voiced } from '../audio/signals.js';
import { expectIsolatedSessions, stageContext } from './isolation.js';

const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];

function toneFor(digit: string, rate: number, ms: number, amplitude = 8000): Int16Array {
  const k = DTMF_DIGITS.indexOf(digit as (typeof DTMF_DIGITS)[number]);
  return dtmfTone(ROWS[k >> 2], COLS[k % 4], rate, ms, amplitude);
}

/** Two sines at independent levels (for twist and single-tone cases). */
function twoTones(f1: number, a1: number, f2: number, a2: number, ms: number): Int16Array {
  const n = Math.round((16000 * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(a1 * Math.sin((2 * Math.PI * f1 * i) / 16000) + a2 * Math.sin((2 * Math.PI * f2 * i) / 16000)),
  );
}

function detect(stage: DTMFStage, signal: Int16Array, rate: number): string {
  let digits = '';
  for (const data of frames(signal, rate, 20)) {
    const e = stage.process({ data, sampleRate: rate, channels: 1 });
    if (e) digits += e.digit;
  }
  return digits;
}

describe('GoertzelDTMFDetector', () => {
  for (const rate of [8000, 16000]) {
    it(`detects all 16 digits at ${rate} Hz (60 ms tones, 60 ms gaps)`, () => {
      const stage = new GoertzelDTMFDetector().createStage(stageContext('s', rate));
      const all = DTMF_DIGITS.join('');
      const signal = concat(...DTMF_DIGITS.flatMap((d) => [toneFor(d, rate, 60), silence(rate, 60)]));
      expect(detect(stage, signal, rate)).toBe(all);
    });
  }

  it('counts a held tone once, and the same key pressed twice as two digits', () => {
    const stage = new GoertzelDTMFDetector().createStage(stageContext('s'));
    const signal = concat(
      toneFor('5', 16000, 1500),
      silence(16000, 100),
      toneFor('5', 16000, 80),
      silence(16000, 100),
    );
    expect(detect(stage, signal, 16000)).toBe('55');
  });

  it('detects quieter tones with twist and light noise', () => {
    const stage = new GoertzelDTMFDetector().createStage(stageContext('s'));
    const twisted = twoTones(852, 1500, 1477, 2500, 100); // 4.4 dB twist, about -24 dBFS
    const n = noise(16000, 100, 150, 9);
    const signal = concat(
      Int16Array.from(twisted, (v, i) => v + n[i]),
      silence(16000, 100),
    );
    expect(detect(stage, signal, 16000)).toBe('9');
  });

  it('stays silent on speech-like signals and noise', () => {
    const stage = new GoertzelDTMFDetector().createStage(stageContext('s'));
    const speechy = concat(
      ...[90, 120, 140, 175, 210, 240, 300].map((f0, i) =>
        voiced(16000, 1500, { f0, amplitude: 9000, seed: i }),
      ),
      noise(16000, 3000, 12000, 4),
      noise(16000, 3000, 600, 5),
    );
    expect(detect(stage, speechy, 16000)).toBe('');
  });

  it('rejects a single tone and a pair with too much twist', () => {
    const stage = new GoertzelDTMFDetector().createStage(stageContext('s'));
    const single = twoTones(770, 8000, 1336, 0, 200);
    const twisted = twoTones(770, 8000, 1336, 800, 200); // 20 dB twist
    expect(detect(stage, concat(single, silence(16000, 100), twisted), 16000)).toBe('');
  });

  it('keeps state per session', async () => {
    const provider = new GoertzelDTMFDetector();
    // Each session's tone straddles frames, so shared windows would corrupt both.
    const a = concat(
      silence(16000, 10),
      toneFor('1', 16000, 70),
      silence(16000, 70),
      toneFor('#', 16000, 90),
    );
    const b = concat(
      toneFor('D', 16000, 70),
      silence(16000, 50),
      toneFor('0', 16000, 110),
      silence(16000, 20),
    );
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) =>
        stage.process({ data, sampleRate: 16000, channels: 1 })?.digit ?? null,
      inputsA: frames(concat(a, silence(16000, 100)), 16000),
      inputsB: frames(concat(b, silence(16000, 100)), 16000),
    });
  });
});
