/**
 * Speech latency with the fake Gradium servers at a fixed network latency:
 *   user stop -> final transcript      (STT: semantic VAD decides, flush, flushed)
 *   final transcript -> first TTS audio (TTS: phrase chunking, <flush>, first chunk)
 * Audio is paced in real time so wall time equals audio time. The framework's share is
 * what is left after removing what the fake imposes: its latency on each server message
 * on the critical path, and (for STT) the silence the turn policy must hear.
 */
import {
  type GradiumEndOfTurnEvent,
  GradiumSTTProvider,
  GradiumTTSProvider,
} from '../src/providers/gradium/index.js';
import { FakeGradiumSTTServer } from '../src/testing/fake-speech/fake-gradium-stt.js';
import { FakeGradiumTTSServer } from '../src/testing/fake-speech/fake-gradium-tts.js';
import { renderSpeech, speechFrames } from '../src/testing/fake-speech/speech-script.js';
import type { AudioFrame } from '../src/voice/types.js';

const LATENCY_MS = 40;
const TURNS = [
  'what time is it in paris',
  'book a table for two tonight',
  'thanks that is all',
  'and call me a taxi',
  'see you soon',
];
const REPLY = ['Sure', '. ', 'Let ', 'me ', 'check ', 'that ', 'for ', 'you', '.'];

export async function benchSpeech(): Promise<Record<string, unknown>[]> {
  const speech = renderSpeech(
    TURNS.map((text) => ({ text, pauseAfterS: 1.2 })),
    { sampleRate: 16_000 },
  );
  const sttFake = await new FakeGradiumSTTServer({
    vocabulary: speech.vocabulary,
    latencyMs: LATENCY_MS,
    apiKeys: ['bench'],
  }).start();
  const ttsFake = await new FakeGradiumTTSServer({ latencyMs: LATENCY_MS, apiKeys: ['bench'] }).start();
  const stt = new GradiumSTTProvider({ apiKey: 'bench', endpoint: sttFake.endpoint, turn: 'fastAssistant' });
  const tts = new GradiumTTSProvider({ apiKey: 'bench', endpoint: ttsFake.endpoint });
  try {
    await tts.warmup();
    const stopWall = new Map<number, number>(); // utterance -> wall time of its last voiced frame
    const frames = speechFrames(speech, 20);
    const stops = speech.utteranceEndsS;
    async function* paced(): AsyncGenerator<AudioFrame> {
      const t0 = performance.now();
      for (const f of frames) {
        // A microphone delivers a frame once it has been captured: at its end time.
        const endS = (f.timestampMs ?? 0) / 1000 + f.data.length / f.sampleRate;
        const wait = t0 + endS * 1000 - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        stops.forEach((stop, i) => {
          if (!stopWall.has(i) && endS >= stop - 1e-9) stopWall.set(i, t0 + stop * 1000);
        });
        yield f;
      }
    }
    const sttMs: number[] = [];
    const vadWaitMs: number[] = [];
    const ttsMs: number[] = [];
    let turn = 0;
    for await (const e of stt.transcribeStream(paced())) {
      if (e.type !== 'end-of-turn' || e.reason !== 'semantic-vad') continue;
      const finalAt = performance.now();
      const stop = stopWall.get(turn);
      const decided = (e as GradiumEndOfTurnEvent).decidedAtAudioS;
      if (stop !== undefined && decided !== undefined) {
        sttMs.push(finalAt - stop);
        vadWaitMs.push((decided - stops[turn]) * 1000);
      }
      turn++;
      ttsMs.push(await firstAudioMs(tts, finalAt));
    }
    const sttFramework = sttMs.map((m, i) => m - vadWaitMs[i] - 2 * LATENCY_MS);
    const ttsFramework = ttsMs.map((m) => m - LATENCY_MS);
    return [
      {
        name: 'speech.gradium.user_stop_to_final_ms',
        turns: sttMs.length,
        fakeLatencyMs: LATENCY_MS,
        note: 'critical path: step (1 x latency) -> flush -> flushed (1 x latency); vadWait = silence the fastAssistant policy needs',
        median: median(sttMs),
        p95: p95(sttMs),
        vadWaitMedianMs: median(vadWaitMs),
        frameworkMedianMs: median(sttFramework),
        frameworkP95Ms: p95(sttFramework),
      },
      {
        name: 'speech.gradium.final_to_first_tts_audio_ms',
        turns: ttsMs.length,
        fakeLatencyMs: LATENCY_MS,
        note: 'warm multiplexed socket; first phrase "Sure." flushed at once; critical path: first audio (1 x latency)',
        median: median(ttsMs),
        p95: p95(ttsMs),
        frameworkMedianMs: median(ttsFramework),
        frameworkP95Ms: p95(ttsFramework),
      },
    ];
  } finally {
    await tts.close();
    await stt.close();
    await sttFake.close();
    await ttsFake.close();
  }
}

/** Starts a reply as an LLM would (tokens ready at once) and times the first audio chunk. */
async function firstAudioMs(tts: GradiumTTSProvider, since: number): Promise<number> {
  async function* llm(): AsyncGenerator<string> {
    for (const t of REPLY) yield t;
  }
  let first = Number.NaN;
  for await (const _ of tts.synthesizeStreamInput(llm())) {
    if (Number.isNaN(first)) first = performance.now() - since;
  }
  return first;
}

function median(xs: number[]): number {
  return round(quantile(xs, 0.5));
}

function p95(xs: number[]): number {
  return round(quantile(xs, 0.95));
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
