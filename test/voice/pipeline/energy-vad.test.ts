import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { EnergyVADProvider } from '../../../src/voice/pipeline/energy-vad.js';
import type { VADEvent, VADStage } from '../../../src/voice/pipeline/stages.js';
import { concat, frames, noise, voiced } from '../audio/signals.js';
import { expectIsolatedSessions, stageContext } from './isolation.js';

const RATE = 16000;

function run(stage: VADStage, signal: Int16Array) {
  const events: { at: number; event: VADEvent }[] = [];
  frames(signal, RATE, 20).forEach((data, i) => {
    const event = stage.process({ data, sampleRate: RATE, channels: 1 });
    if (event) events.push({ at: (i + 1) * 20, event });
  });
  return events;
}

describe('EnergyVADProvider', () => {
  const quiet = (ms: number, seed: number) => noise(RATE, ms, 60, seed);

  it('finds the start and end of a speech burst, keeping the pre-roll', () => {
    const stage = new EnergyVADProvider({
      threshold: 300,
      silenceMs: 500,
      minSpeechMs: 60,
      prerollMs: 300,
    }).createStage(stageContext('s'));
    const signal = concat(quiet(1000, 1), voiced(RATE, 1200, { amplitude: 6000 }), quiet(1000, 2));
    const events = run(stage, signal);
    expect(events.map((e) => e.event.type)).toEqual(['speech_start', 'speech_end']);
    // Start is reported once min speech has elapsed (1000 + 60 ms), end after 500 ms of silence.
    expect(events[0].at).toBe(1060);
    expect(events[1].at).toBeGreaterThanOrEqual(2200 + 500);
    expect(events[1].at).toBeLessThanOrEqual(2200 + 560);
    // The utterance = pre-roll + burst + the silence that ended it.
    const audio = events[1].event.audio!;
    expect(events[1].event.durationMs).toBeCloseTo((audio.length / RATE) * 1000, 6);
    expect(events[1].event.durationMs).toBeGreaterThanOrEqual(300 + 1200 + 500);
    expect(events[1].event.durationMs).toBeLessThanOrEqual(300 + 1200 + 560);
    // The first voiced sample sits 300 ms (the pre-roll) into the utterance: not cut.
    const firstLoud = audio.findIndex((s) => Math.abs(s) > 1000);
    expect(firstLoud).toBeGreaterThanOrEqual(0.28 * RATE);
    expect(firstLoud).toBeLessThanOrEqual(0.3 * RATE);
    expect(stage.isSpeaking).toBe(false);
  });

  it('ignores a click shorter than the minimum speech time', () => {
    const stage = new EnergyVADProvider({ minSpeechMs: 100 }).createStage(stageContext('s'));
    const events = run(stage, concat(quiet(500, 3), voiced(RATE, 40), quiet(500, 4)));
    expect(events).toEqual([]);
  });

  it('does not end speech on a pause shorter than silenceMs', () => {
    const stage = new EnergyVADProvider({ silenceMs: 500 }).createStage(stageContext('s'));
    const signal = concat(quiet(300, 5), voiced(RATE, 600), quiet(300, 6), voiced(RATE, 600), quiet(800, 7));
    expect(run(stage, signal).map((e) => e.event.type)).toEqual(['speech_start', 'speech_end']);
  });

  it('rejects a negative threshold', () => {
    expect(() => new EnergyVADProvider({ threshold: -1 })).toThrow(ValidationError);
  });

  it('keeps state per session', async () => {
    const provider = new EnergyVADProvider({ silenceMs: 200 });
    const a = concat(quiet(200, 1), voiced(RATE, 500), quiet(400, 2), voiced(RATE, 300), quiet(400, 3));
    const b = concat(voiced(RATE, 900, { f0: 200 }), quiet(1300, 4));
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) => {
        const e = stage.process({ data, sampleRate: RATE, channels: 1 });
        return e ? { ...e, audio: e.audio ? Array.from(e.audio) : undefined } : null;
      },
      inputsA: frames(a, RATE),
      inputsB: frames(b, RATE),
    });
  });
});
