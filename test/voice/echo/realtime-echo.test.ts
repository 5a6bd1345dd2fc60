/**
 * Issue 18 for speech-to-speech: a RealtimeVoiceChannel forwards the caller's audio to the
 * model. When the caller's speaker plays the model back into their microphone, the model's
 * server VAD hears itself and cuts its own answer. With `aec`, what is forwarded while the
 * model's audio plays is near-silence unless the caller really talks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { RoomKit } from '../../../src/core/roomkit.js';
import { RealtimeVoiceChannel } from '../../../src/realtime/realtime-voice-channel.js';
import { EchoLoopBackend, MockRealtimeProvider } from '../../../src/testing/index.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import { VoiceCapability } from '../../../src/voice/types.js';
import { REPLIES, SpeechCache } from './speech-fixtures.js';

let speech: SpeechCache;
let kit: RoomKit | undefined;
beforeAll(async () => {
  speech = new SpeechCache();
  await speech.warm();
}, 60_000);
afterAll(() => speech?.dispose());
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

/** Frames a server VAD would take for speech: above the energy VAD's default (-41 dBFS). */
const LOUD_DBFS = -41;

async function answer(opts: { aec: boolean; callerOver?: number; capabilities?: number; gainDb?: number }) {
  const clock = new ManualClock(0);
  const backend = new EchoLoopBackend({
    clock,
    delayMs: 120,
    gainDb: opts.gainDb ?? -6,
    noiseDbfs: -50,
    ...(opts.capabilities !== undefined ? { capabilities: opts.capabilities } : {}),
  });
  const provider = new MockRealtimeProvider();
  const forwarded: { atMs: number; dbfs: number }[] = [];
  const send = provider.sendAudio.bind(provider);
  provider.sendAudio = (session, pcm) => {
    forwarded.push({ atMs: clock.now(), dbfs: dbfs(pcm) });
    send(session, pcm);
  };
  kit = new RoomKit({ logger: silentLogger });
  const channel = new RealtimeVoiceChannel('voice', {
    provider,
    transport: backend,
    inputSampleRate: 16_000,
    outputSampleRate: 16_000,
    pacer: { clock },
    ...(opts.aec ? { aec: new SpeexAECProvider() } : {}),
  });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'call' });
  const session = await channel.startSession('call', 'caller');
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 20) {
      clock.advance(20);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await step(500);
  // Four answers in a row; the caller talks 2 s into the one given.
  const spans: { from: number; to: number; callerFrom?: number }[] = [];
  for (let i = 0; i < 4; i++) {
    const pcm = await speech.speech(REPLIES[i]);
    const from = clock.now();
    provider.simulateResponseStart(session);
    provider.simulateAudio(session, pcm);
    provider.simulateResponseEnd(session);
    let callerFrom: number | undefined;
    if (opts.callerOver === i) {
      const caller = await speech.interruption(0);
      callerFrom = backend.say(session.transportSession, caller, { atMs: from + 2000 }).atMs;
    }
    await step(pcm.length / 16 + 1500);
    spans.push({ from, to: from + pcm.length / 16, callerFrom });
  }
  return { forwarded, spans, echo: channel, session };
}

function dbfs(pcm: Int16Array): number {
  let sum = 0;
  for (const v of pcm) sum += (v / 32768) ** 2;
  return 10 * Math.log10(sum / Math.max(1, pcm.length) + 1e-12);
}

/** Forwarded frames while the model's answer (and its echo) play, before any caller speech. */
function whileAnswering(r: Awaited<ReturnType<typeof answer>>) {
  return r.forwarded.filter(({ atMs }) =>
    r.spans.some(
      (s) =>
        atMs >= s.from + 150 && atMs <= s.to + 150 && (s.callerFrom === undefined || atMs < s.callerFrom),
    ),
  );
}

describe('RealtimeVoiceChannel echo gating (issue 18)', () => {
  it('regression: without echo cancellation the model hears its own voice as the caller', async () => {
    const r = await answer({ aec: false });
    const frames = whileAnswering(r);
    expect(frames.filter((f) => f.dbfs > LOUD_DBFS).length).toBeGreaterThan(frames.length / 3);
  }, 60_000);

  it('with aec, what is forwarded while the model speaks is near-silence, from the first answer on', async () => {
    const r = await answer({ aec: true });
    const frames = whileAnswering(r);
    expect(frames.length).toBeGreaterThan(500);
    expect(frames.filter((f) => f.dbfs > LOUD_DBFS)).toEqual([]);
  }, 60_000);

  it('with aec, the caller talking over the model is forwarded (so its VAD can barge in)', async () => {
    const r = await answer({ aec: true, callerOver: 2 });
    const span = r.spans[2];
    const talking = r.forwarded.filter(
      ({ atMs }) => atMs >= span.callerFrom! + 300 && atMs < span.callerFrom! + 2300,
    );
    expect(talking.filter((f) => f.dbfs > -30).length).toBeGreaterThan(talking.length / 2);
    expect(whileAnswering(r).filter((f) => f.dbfs > LOUD_DBFS)).toEqual([]);
  }, 60_000);

  it('a transport that cancels echo itself (NATIVE_AEC) gets no canceller', async () => {
    const r = await answer({
      aec: true,
      capabilities: VoiceCapability.NATIVE_AEC,
      gainDb: Number.NEGATIVE_INFINITY,
    });
    const runtime = (r.echo as unknown as { runtimes: Map<string, { echo: unknown }> }).runtimes.get(
      r.session.id,
    );
    expect(runtime?.echo).toBeNull();
    expect(whileAnswering(r).filter((f) => f.dbfs > LOUD_DBFS)).toEqual([]);
  }, 60_000);
});
