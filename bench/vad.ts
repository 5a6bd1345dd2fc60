/**
 * VAD accuracy in noise: the energy, WebRTC and Silero VADs on the same recordings.
 *
 * The recording is ten sentences of flite speech (four voices: rms, slt, awb, kal) with
 * 0.6-1.6 s pauses between them, about 45 s at 16 kHz. White and pink noise are mixed in at
 * 20, 10 and 0 dB SNR (speech power over the speech frames against noise power). Labels
 * come from the clean speech: a 20 ms frame is speech when its energy is within 30 dB of the
 * loudest frames (the 95th percentile). Each VAD runs with `minSpeechMs: 0, silenceMs: 0`, so
 * `isSpeaking` is its raw decision for that frame (no hangover in either direction), and is
 * scored per frame: precision (of the frames it called speech, how many were), recall (of
 * the speech frames, how many it caught), F1, and its cost in microseconds per 20 ms frame.
 *
 * `npm run bench -- vad` (about a minute).
 */
import { EnergyVADProvider } from '../src/voice/pipeline/energy-vad.js';
import { SileroVADProvider } from '../src/voice/pipeline/silero-vad.js';
import type { VADProvider } from '../src/voice/pipeline/stages.js';
import { WebRTCVADProvider } from '../src/voice/pipeline/webrtc-vad.js';
import { VoiceCapability } from '../src/voice/types.js';
import { seededRandom } from '../test/voice/audio/signals.js';
import { REPLIES, SpeechCache } from '../test/voice/echo/speech-fixtures.js';

const RATE = 16_000;
const FRAME = RATE / 50; // 20 ms
const VOICES = ['rms', 'slt', 'awb', 'kal'];
const RAW = { minSpeechMs: 0, silenceMs: 0 };

type Row = Record<string, unknown>;

const VADS: { name: string; make: () => VADProvider }[] = [
  { name: 'energy (threshold 300)', make: () => new EnergyVADProvider({ ...RAW }) },
  { name: 'webrtc (mode 2)', make: () => new WebRTCVADProvider({ ...RAW, mode: 2 }) },
  { name: 'webrtc (mode 3)', make: () => new WebRTCVADProvider({ ...RAW, mode: 3 }) },
  { name: 'silero v5 (threshold 0.5)', make: () => new SileroVADProvider({ ...RAW }) },
];

export async function benchVad(): Promise<Row[]> {
  const cache = new SpeechCache();
  try {
    const clean = await recording(cache);
    const labels = labelFrames(clean);
    const speechFrames = labels.filter(Boolean).length;
    const rows: Row[] = [];
    const conditions: { noise: string; snrDb: number | null }[] = [{ noise: 'none', snrDb: null }];
    for (const noise of ['white', 'pink']) for (const snrDb of [20, 10, 0]) conditions.push({ noise, snrDb });
    for (const c of conditions) {
      const audio = c.snrDb === null ? clean : mixNoise(clean, labels, c.noise as 'white' | 'pink', c.snrDb);
      for (const vad of VADS) {
        const decisions = await decide(vad.make(), audio);
        rows.push({
          vad: vad.name,
          noise: c.noise,
          snrDb: c.snrDb,
          ...score(decisions.speech, labels),
          usPerFrame: Math.round(decisions.usPerFrame * 10) / 10,
          frames: labels.length,
          speechFrames,
        });
      }
    }
    return rows;
  } finally {
    cache.dispose();
  }
}

/** Ten sentences in four voices with seeded pauses, 1 s of silence at each end. */
async function recording(cache: SpeechCache): Promise<Int16Array> {
  const random = seededRandom(42);
  const parts: Int16Array[] = [new Int16Array(RATE)];
  for (let i = 0; i < REPLIES.length; i++) {
    parts.push(await cache.speech(REPLIES[i], VOICES[i % VOICES.length]));
    parts.push(new Int16Array(Math.round(RATE * (0.6 + random()))));
  }
  parts.push(new Int16Array(RATE));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Int16Array(total - (total % FRAME));
  let at = 0;
  for (const p of parts) {
    out.set(p.subarray(0, Math.min(p.length, out.length - at)), at);
    at += p.length;
    if (at >= out.length) break;
  }
  return out;
}

function frameEnergy(pcm: Int16Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
    let sum = 0;
    for (let k = i; k < i + FRAME; k++) sum += pcm[k] * pcm[k];
    out.push(sum / FRAME);
  }
  return out;
}

/** Speech where the clean frame's energy is within 30 dB of the loud frames (95th percentile). */
export function labelFrames(clean: Int16Array): boolean[] {
  const energy = frameEnergy(clean);
  const sorted = [...energy].sort((a, b) => a - b);
  const loud = sorted[Math.floor(sorted.length * 0.95)];
  const floor = loud / 10 ** (30 / 10);
  return energy.map((e) => e > floor);
}

/** Clean speech plus seeded noise scaled to `snrDb` against the speech frames' power. */
function mixNoise(clean: Int16Array, labels: boolean[], kind: 'white' | 'pink', snrDb: number): Int16Array {
  const energy = frameEnergy(clean);
  let speechPower = 0;
  let n = 0;
  labels.forEach((isSpeech, i) => {
    if (!isSpeech) return;
    speechPower += energy[i];
    n++;
  });
  speechPower /= n;
  const noise = kind === 'white' ? whiteNoise(clean.length, 7) : pinkNoise(clean.length, 7);
  let noisePower = 0;
  for (const v of noise) noisePower += v * v;
  noisePower /= noise.length;
  const gain = Math.sqrt(speechPower / 10 ** (snrDb / 10) / noisePower);
  const out = new Int16Array(clean.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.max(-32768, Math.min(32767, Math.round(clean[i] + noise[i] * gain)));
  }
  return out;
}

/** Gaussian white noise (Box-Muller on the seeded PRNG), unit variance. */
function whiteNoise(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** Pink (1/f) noise: white noise through Paul Kellet's economy filter, closer to room noise. */
function pinkNoise(n: number, seed: number): Float64Array {
  const white = whiteNoise(n, seed);
  const out = new Float64Array(n);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = white[i];
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    out[i] = b0 + b1 + b2 + w * 0.1848;
  }
  return out;
}

async function decide(provider: VADProvider, audio: Int16Array) {
  const stage = await provider.createStage({
    sessionId: 'bench',
    sampleRate: RATE,
    capabilities: VoiceCapability.NONE,
  });
  const speech: boolean[] = [];
  const started = performance.now();
  for (let i = 0; i + FRAME <= audio.length; i += FRAME) {
    stage.process({ data: audio.subarray(i, i + FRAME), sampleRate: RATE, channels: 1 });
    speech.push(stage.isSpeaking);
  }
  const usPerFrame = ((performance.now() - started) * 1000) / speech.length;
  stage.close?.();
  return { speech, usPerFrame };
}

function score(decisions: boolean[], labels: boolean[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  decisions.forEach((d, i) => {
    if (d && labels[i]) tp++;
    else if (d) fp++;
    else if (labels[i]) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { precision: r(precision), recall: r(recall), f1: r(f1) };
}
