import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { MfccDiarizationProvider } from '../../../src/voice/diarization/index.js';
import { pitch } from '../../../src/voice/diarization/mfcc.js';
import type { DiarizationStage } from '../../../src/voice/pipeline/stages.js';
import { sine } from '../audio/signals.js';
import { SpeechCache } from '../echo/speech-fixtures.js';
import { expectIsolatedSessions, stageContext } from '../pipeline/isolation.js';
import { type ChangeEvent, conversation, scoreChanges, TURNS } from './conversation.js';

const speech = new SpeechCache();
afterAll(() => speech.dispose());

function run(stage: DiarizationStage, pcm: Int16Array): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  for (let i = 0; i + 320 <= pcm.length; i += 320) {
    const r = stage.process({ data: pcm.subarray(i, i + 320), sampleRate: 16000, channels: 1 });
    if (r) events.push({ atMs: (i + 320) / 16, speakerId: r.speakerId });
  }
  return events;
}

describe('MfccDiarizationProvider on two flite voices taking turns', () => {
  const all: number[] = [];
  afterAll(() => {
    all.sort((a, b) => a - b);
    const q = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))];
    console.log(
      `[diarization] ${all.length} speaker changes found after (ms): min ${all[0]} median ${q(0.5)} p90 ${q(0.9)} max ${all.at(-1)}`,
    );
  });

  for (const male of ['rms', 'awb', 'kal']) {
    for (const gapMs of [0, 300, 800]) {
      it(`${male} (male) and slt (female), ${gapMs} ms between turns: each change within 500 ms`, async () => {
        const conv = await conversation(speech, male, 'slt', gapMs);
        const stage = new MfccDiarizationProvider().createStage(stageContext('s'));
        const events = run(stage, conv.pcm);
        const score = scoreChanges(conv, events);
        all.push(...score.delays);
        expect(score.missed).toBe(0);
        expect(score.delays).toHaveLength(TURNS.length - 1);
        for (const d of score.delays) expect(d).toBeLessThan(500);
        // Two voices, two ids, each voice keeping its own when it comes back; nothing else.
        expect(score.speakers).toBe(2);
        expect(score.wrongId).toBe(0);
        expect(score.extra).toBe(0);
        expect(stage.currentSpeaker).toBe(events.at(-1)?.speakerId);
      });
    }
  }

  it('one voice talking for 20 s is one speaker, never a change', async () => {
    const parts = await Promise.all(TURNS.map((t) => speech.speech(t, 'rms')));
    const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      pcm.set(p, at);
      at += p.length;
    }
    const events = run(new MfccDiarizationProvider().createStage(stageContext('s')), pcm);
    expect(events).toEqual([{ atMs: expect.any(Number), speakerId: 'speaker_1' }]);
  });

  it('reports the first speaker as new, a returning one as known with a confidence', async () => {
    const conv = await conversation(speech, 'rms', 'slt', 300);
    const stage = new MfccDiarizationProvider().createStage(stageContext('s'));
    const results = [];
    for (let i = 0; i + 320 <= conv.pcm.length; i += 320) {
      const r = stage.process({ data: conv.pcm.subarray(i, i + 320), sampleRate: 16000, channels: 1 });
      if (r) results.push(r);
    }
    expect(results.map((r) => [r.speakerId, r.isNewSpeaker])).toEqual([
      ['speaker_1', true],
      ['speaker_2', true],
      ['speaker_1', false],
      ['speaker_2', false],
      ['speaker_1', false],
      ['speaker_2', false],
    ]);
    for (const r of results) {
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('ignores what the VAD calls silence, and reset forgets every voice', async () => {
    const conv = await conversation(speech, 'rms', 'slt', 300);
    const stage = new MfccDiarizationProvider().createStage(stageContext('s'));
    for (let i = 0; i + 320 <= conv.pcm.length; i += 320) {
      expect(
        stage.process({ data: conv.pcm.subarray(i, i + 320), sampleRate: 16000, channels: 1 }, false),
      ).toBe(null);
    }
    expect(stage.currentSpeaker).toBeUndefined();
    run(stage, conv.pcm);
    expect(stage.currentSpeaker).toBe('speaker_2');
    stage.reset?.();
    expect(stage.currentSpeaker).toBeUndefined();
    expect(run(stage, conv.pcm)[0].speakerId).toBe('speaker_1');
  });

  it('keeps state per session', async () => {
    const a = await conversation(speech, 'rms', 'slt', 300);
    const b = await conversation(speech, 'slt', 'kal', 0);
    const frames = (pcm: Int16Array) => {
      const out: Int16Array[] = [];
      for (let i = 0; i + 320 <= pcm.length; i += 320) out.push(pcm.subarray(i, i + 320));
      return out;
    };
    const provider = new MfccDiarizationProvider();
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, data: Int16Array) => stage.process({ data, sampleRate: 16000, channels: 1 }),
      inputsA: frames(a.pcm),
      inputsB: frames(b.pcm),
    });
  });

  it('validates its options', () => {
    expect(() => new MfccDiarizationProvider({ windowMs: 0 })).toThrow(ValidationError);
    expect(() => new MfccDiarizationProvider({ switchRatio: 1.5 })).toThrow(ValidationError);
    expect(() => new MfccDiarizationProvider({ confirmChecks: 0.5 })).toThrow(ValidationError);
    expect(() => new MfccDiarizationProvider({ newSpeakerDistance: -1 })).toThrow(ValidationError);
  });

  it("pitch: finds a tone's frequency, and none in silence", () => {
    const x = Float64Array.from(sine(150, 16000, 25));
    expect(pitch(x, 16000)).toBeCloseTo(150, -1);
    expect(pitch(new Float64Array(400), 16000)).toBe(0);
  });
});
