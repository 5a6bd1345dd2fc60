/**
 * Echo: does the agent interrupt itself on its own voice, and does it still hear the caller?
 * A VoiceChannel (energy VAD, mock STT, flite `rms` replies of about 5 s) runs over the
 * EchoLoopBackend on virtual time: everything it plays comes back into its microphone after
 * `delayMs`, attenuated by `gainDb`, with -50 dBFS noise. Per condition and barge-in
 * strategy, 10 replies with nobody talking (self-interruptions, utterances the echo
 * produced) and 10 replies over which the caller (flite `slt` / `awb`) speaks 2 s in
 * (barge-ins detected, latency from their speech onset). Then the baselines: no AEC, and a
 * headset that declares NATIVE_AEC; and the canceller's echo reduction by filter length.
 *
 * `npm run bench -- echo` (about two minutes); ECHO_QUICK=1 runs one condition.
 */
import type { EchoLoopBackend } from '../src/testing/echo-loop-backend.js';
import { runEchoLoop } from '../src/testing/echo-loop-run.js';
import { MockSTTProvider } from '../src/testing/mock-stt-provider.js';
import type { InterruptionConfig } from '../src/voice/interruption.js';
import type { ManualClock } from '../src/voice/pacer.js';
import { SpeexAECProvider } from '../src/voice/pipeline/speex-aec.js';
import { VoiceCapability } from '../src/voice/types.js';
import { VoiceChannel } from '../src/voice/voice-channel.js';
import { measureErle } from '../test/voice/echo/erle.js';
import { REPLIES, SpeechCache } from '../test/voice/echo/speech-fixtures.js';

type Row = Record<string, unknown>;

const STRATEGIES: InterruptionConfig[] = [
  { mode: 'immediate' },
  { mode: 'after_ms', ms: 500 },
  { mode: 'after_words', words: 3 },
];
const CALLER_AFTER_MS = 2000;

export async function benchEcho(): Promise<Row[]> {
  const quick = process.env.ECHO_QUICK === '1';
  const speech = new SpeechCache();
  try {
    await speech.warm();
    const callers = await Promise.all(REPLIES.map((_, i) => speech.interruption(i)));
    const rows: Row[] = [];
    const delays = quick ? [120] : [40, 120, 250];
    const gains = quick ? [-6] : [-6, -20];
    for (const delayMs of delays) {
      for (const gainDb of gains) {
        for (const interruption of quick ? STRATEGIES.slice(0, 1) : STRATEGIES) {
          rows.push(await condition(speech, callers, { delayMs, gainDb, interruption, aec: true }));
        }
      }
    }
    // Baselines: what the same calls do without echo cancellation...
    for (const interruption of STRATEGIES) {
      rows.push(await condition(speech, callers, { delayMs: 120, gainDb: -6, interruption, aec: false }));
    }
    // ...and a headset (no acoustic echo, the device says NATIVE_AEC): the AEC stage is skipped.
    rows.push(
      await condition(speech, callers, {
        delayMs: 120,
        gainDb: Number.NEGATIVE_INFINITY,
        interruption: { mode: 'immediate' },
        aec: true,
        headset: true,
      }),
    );
    for (const row of await measureErle(speech, quick)) rows.push({ case: 'erle', ...row });
    return rows;
  } finally {
    speech.dispose();
  }
}

async function condition(
  speech: SpeechCache,
  callers: Int16Array[],
  c: { delayMs: number; gainDb: number; interruption: InterruptionConfig; aec: boolean; headset?: boolean },
): Promise<Row> {
  const loop = {
    delayMs: c.delayMs,
    gainDb: c.gainDb,
    noiseDbfs: -50,
    ...(c.headset ? { capabilities: VoiceCapability.NATIVE_AEC } : {}),
  };
  const channel = (backend: EchoLoopBackend, clock: ManualClock) =>
    new VoiceChannel('phone', {
      stt: new MockSTTProvider({ transcripts: ['wait I have a question'] }),
      tts: speech.tts(),
      backend,
      clock,
      interruption: c.interruption,
      pipeline: c.aec ? { aec: new SpeexAECProvider() } : {},
    });
  const started = performance.now();
  const alone = await runEchoLoop({ loop, replies: REPLIES, channel });
  const over = await runEchoLoop({
    loop,
    replies: REPLIES,
    channel,
    caller: { speech: (i) => callers[i], afterMs: CALLER_AFTER_MS },
  });
  return {
    case: c.headset ? 'headset (NATIVE_AEC)' : c.aec ? 'speex aec' : 'no aec',
    delayMs: c.delayMs,
    gainDb: Number.isFinite(c.gainDb) ? c.gainDb : 'no echo',
    interruption: c.interruption.mode,
    replies: alone.replies.length,
    selfInterruptions: alone.selfInterruptions,
    echoTurnsToStt: alone.echoTurns,
    callerReplies: over.callerReplies,
    bargeInsDetected: over.bargeInsDetected,
    selfInterruptionsBeforeCaller: over.selfInterruptions,
    latencyMedianMs: over.latencyMs?.median ?? null,
    latencyP95Ms: over.latencyMs?.p95 ?? null,
    latencyMaxMs: over.latencyMs?.max ?? null,
    estimatedDelayMs: alone.echo?.delayMs ?? null,
    echoGainDb: round(alone.echo?.echoGainDb),
    residualGainDb: round(alone.echo?.residualGainDb),
    wallMs: Math.round(performance.now() - started),
  };
}

function round(v: unknown): number | null {
  return typeof v === 'number' ? Math.round(v * 10) / 10 : null;
}
