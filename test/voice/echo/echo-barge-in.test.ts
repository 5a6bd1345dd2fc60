/**
 * Issue 18, end to end: a VoiceChannel over the EchoLoopBackend on virtual time hears every
 * reply come back through the echo path. The full matrix (10 replies per condition and
 * strategy) is `npm run bench -- echo`; these runs are the same with fewer replies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoLoopBackend, type EchoLoopRunOptions, runEchoLoop } from '../../../src/testing/index.js';
import { MockSTTProvider } from '../../../src/testing/mock-stt-provider.js';
import type { InterruptionConfig } from '../../../src/voice/interruption.js';
import type { ManualClock } from '../../../src/voice/pacer.js';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import { VoiceCapability } from '../../../src/voice/types.js';
import { VoiceChannel } from '../../../src/voice/voice-channel.js';
import { REPLIES, SpeechCache } from './speech-fixtures.js';

let speech: SpeechCache;
let callers: Int16Array[];
beforeAll(async () => {
  speech = new SpeechCache();
  await speech.warm();
  callers = await Promise.all(REPLIES.map((_, i) => speech.interruption(i)));
}, 60_000);
afterAll(() => speech?.dispose());

interface Call {
  delayMs?: number;
  gainDb?: number;
  aec?: boolean;
  interruption?: InterruptionConfig;
  replies?: string[];
  caller?: boolean;
  loop?: EchoLoopRunOptions['loop'];
}

async function call(c: Call) {
  const stt = new MockSTTProvider({ transcripts: ['wait I have a question'] });
  const report = await runEchoLoop({
    loop: { delayMs: c.delayMs ?? 120, gainDb: c.gainDb ?? -6, noiseDbfs: -50, ...c.loop },
    replies: c.replies ?? REPLIES.slice(0, 3),
    channel: (backend: EchoLoopBackend, clock: ManualClock) =>
      new VoiceChannel('phone', {
        stt,
        tts: speech.tts(),
        backend,
        clock,
        interruption: c.interruption ?? { mode: 'immediate' },
        pipeline: c.aec === false ? {} : { aec: new SpeexAECProvider() },
      }),
    ...(c.caller ? { caller: { speech: (i: number) => callers[i], afterMs: 2000 } } : {}),
  });
  return { report, stt };
}

describe('echo-aware barge-in (issue 18)', () => {
  it.each([
    [40, -6],
    [120, -20],
    [250, -6],
    // Longer than the line's silence before the first echo arrives: nothing is learnt from that.
    [600, -6],
  ])(
    'regression: the agent never interrupts itself on its own echo (%i ms, %i dB)',
    async (delayMs, gainDb) => {
      const { report, stt } = await call({ delayMs, gainDb });
      expect(report.selfInterruptions).toBe(0);
      // ...and the echo never became a user turn sent to the STT.
      expect(report.echoTurns).toBe(0);
      expect(stt.calls).toHaveLength(0);
      expect(Math.abs((report.echo?.delayMs as number) - delayMs)).toBeLessThanOrEqual(8);
    },
    60_000,
  );

  it.each([
    [120, -6],
    [250, -20],
  ])(
    'hears the caller over the echo within 300 ms of their speech (%i ms, %i dB)',
    async (delayMs, gainDb) => {
      const { report } = await call({ delayMs, gainDb, caller: true, replies: REPLIES.slice(0, 4) });
      expect(report.selfInterruptions).toBe(0);
      expect(report.bargeInsDetected).toBe(4);
      expect(report.latencyMs!.max).toBeLessThanOrEqual(300);
    },
    60_000,
  );

  it('after_ms and after_words are echo-aware too', async () => {
    for (const interruption of [
      { mode: 'after_ms', ms: 500 },
      { mode: 'after_words', words: 3 },
    ] as InterruptionConfig[]) {
      const { report } = await call({ delayMs: 250, gainDb: -6, interruption });
      expect(report.selfInterruptions).toBe(0);
      expect(report.echoTurns).toBe(0);
    }
    const afterMs = await call({
      delayMs: 250,
      gainDb: -6,
      caller: true,
      interruption: { mode: 'after_ms', ms: 500 },
    });
    expect(afterMs.report.bargeInsDetected).toBe(3);
    expect(afterMs.report.latencyMs!.max).toBeLessThanOrEqual(800);
  }, 60_000);

  it('regression: after_words fires with an STT that gives no partials (the utterance transcribed)', async () => {
    // Long replies, so they are still playing when the caller's utterance has been transcribed.
    const long = [`${REPLIES[0]} ${REPLIES[1]}`, `${REPLIES[2]} ${REPLIES[3]}`];
    const { report, stt } = await call({
      caller: true,
      replies: long,
      interruption: { mode: 'after_words', words: 3 },
    });
    expect(report.bargeInsDetected).toBe(2);
    expect(report.selfInterruptions).toBe(0);
    expect(stt.calls.every((c) => c.method === 'transcribe')).toBe(true);
  }, 60_000);

  it('the reference can come from the transport playing it (onAudioPlayed)', async () => {
    const { report } = await call({ delayMs: 120, loop: { reportsPlayback: true }, caller: true });
    expect(report.selfInterruptions).toBe(0);
    expect(report.bargeInsDetected).toBe(3);
  }, 60_000);

  it('without an AEC the echo cuts every reply (behaviour unchanged without one)', async () => {
    const { report } = await call({ aec: false });
    expect(report.selfInterruptions).toBe(3);
    expect(report.echoTurns).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('a headset that declares NATIVE_AEC skips the AEC stage; barge-in is as before', async () => {
    const { report } = await call({
      gainDb: Number.NEGATIVE_INFINITY,
      loop: { capabilities: VoiceCapability.NATIVE_AEC },
      caller: true,
    });
    expect(report.echo).toBeUndefined(); // no AEC stage, no echo guard
    expect(report.selfInterruptions).toBe(0);
    expect(report.bargeInsDetected).toBe(3);
    expect(report.latencyMs!.max).toBeLessThanOrEqual(150);
  }, 60_000);
});
