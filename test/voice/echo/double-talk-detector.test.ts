import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { DoubleTalkDetector } from '../../../src/voice/echo/double-talk-detector.js';
import { seededRandom } from '../audio/signals.js';

const db = (v: number) => 10 ** (v / 10);
const REF = db(-20); // what is played, mean square
const NOISE = db(-70);

/** Echo-only frames at `gainDb`, with +-2 dB of frame-to-frame spread, cancelled by `erleDb`. */
function echoFrames(d: DoubleTalkDetector, n: number, gainDb: number, erleDb: number, seed = 1) {
  const random = seededRandom(seed);
  const states = [];
  for (let i = 0; i < n; i++) {
    const echo = REF * db(gainDb + (random() * 4 - 2));
    states.push(d.update(echo + NOISE, echo * db(-erleDb) + NOISE, REF, 20));
  }
  return states;
}

describe('DoubleTalkDetector', () => {
  it('learns the echo gain and never takes echo for the caller', () => {
    const d = new DoubleTalkDetector();
    const states = echoFrames(d, 300, -6, 20);
    expect(states.every((s) => s.echoExpected && !s.nearEnd)).toBe(true);
    expect(d.echoGainDb).toBeGreaterThan(-7);
    expect(d.echoGainDb).toBeLessThan(-3);
    expect(d.residualGainDb).toBeLessThan(-20);
  });

  it('counts the caller once they rise clearly above the expected echo, through short dips', () => {
    const d = new DoubleTalkDetector();
    echoFrames(d, 200, -6, 20);
    const echo = REF * db(-6);
    const caller = REF; // 6 dB above the echo, before cancellation
    const talk = (frames: number, power: number) =>
      Array.from({ length: frames }, () => d.update(echo + power, echo * db(-20) + power, REF, 20).nearEnd);
    expect(talk(1, caller)).toEqual([false]); // 20 ms is not enough (onset 40 ms)
    expect(talk(3, caller)).toEqual([true, true, true]);
    expect(talk(5, 0)).toEqual([true, true, true, true, true]); // a 100 ms dip: still talking
    expect(talk(10, 0).at(-1)).toBe(false); // 300 ms of echo only: stopped
  });

  it('before anything is learnt, assumes the echo may be as loud as the reference', () => {
    const d = new DoubleTalkDetector();
    // Echo at 0 dB on the very first frames of a call, nothing cancelled yet.
    const first = Array.from({ length: 10 }, () => d.update(REF + NOISE, REF + NOISE, REF, 20));
    expect(first.some((s) => s.nearEnd)).toBe(false);
  });

  it('echo that grows louder for good is learnt, not taken for a caller forever', () => {
    const d = new DoubleTalkDetector({ stuckMs: 1000 });
    echoFrames(d, 200, -20, 20);
    const louder = echoFrames(d, 300, -6, 0, 2); // volume up and the filter lost
    expect(louder.at(-1)!.nearEnd).toBe(false);
  });

  it('quiet echo over a quiet line is still echo (a reply fading in, a faint reference)', () => {
    const d = new DoubleTalkDetector();
    for (let i = 0; i < 20; i++) d.update(db(-94), db(-94), 0, 20); // a digital line's noise
    // A reply's onset played at -61 dBFS comes back at -68: above the noise, so echo.
    expect(d.update(db(-68), db(-68), db(-61), 20)).toEqual({ echoExpected: true, nearEnd: false });
  });

  it('with nothing played (or echo under the line noise), everything is the caller', () => {
    const d = new DoubleTalkDetector();
    expect(d.update(db(-30), db(-30), 0, 20)).toEqual({ echoExpected: false, nearEnd: true });
    for (let i = 0; i < 20; i++) d.update(db(-40), db(-40), 0, 20); // the line's noise
    expect(d.update(db(-30), db(-30), db(-60) * 2, 20).echoExpected).toBe(false);
  });

  it('rejects options that are not numbers', () => {
    expect(() => new DoubleTalkDetector({ marginDb: Number.NaN })).toThrow(ValidationError);
  });
});
