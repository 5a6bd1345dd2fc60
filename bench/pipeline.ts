/**
 * AudioPipeline throughput on the reference workload: 20 ms frames, a synthetic cycle of
 * 1.2 s voiced / 0.8 s near-silent, AGC (target -12 dBFS) + energy VAD (RMS >= 300, 500 ms
 * of silence ends speech). Cases at 16 kHz (one call, and 600 calls taking frames in turn as
 * in a server), and 8/48 kHz input resampled to 16 kHz.
 * Returns one JSON-able record per case; `bench/run.ts` decides how to print them.
 */
import os from 'node:os';
import { AudioPipeline } from '../src/voice/pipeline/audio-pipeline.js';
import { EnergyVADProvider } from '../src/voice/pipeline/energy-vad.js';
import { SimpleAGCProvider } from '../src/voice/pipeline/simple-agc.js';
import type { AudioFrame } from '../src/voice/types.js';

const FRAME_MS = 20;
const CYCLE_VOICED_MS = 1200;
const CYCLE_SILENT_MS = 800;

/** One 2 s cycle of frames: harmonic "voice" with a syllable envelope, then faint hiss. */
function cycleFrames(rate: number): AudioFrame[] {
  const size = (rate * FRAME_MS) / 1000;
  const total = ((CYCLE_VOICED_MS + CYCLE_SILENT_MS) * rate) / 1000;
  const voicedEnd = (CYCLE_VOICED_MS * rate) / 1000;
  const samples = new Int16Array(total);
  let seed = 12345;
  let phase = 0;
  for (let i = 0; i < total; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const hiss = ((seed >>> 16) / 65536 - 0.5) * 60;
    if (i < voicedEnd) {
      const t = i / rate;
      phase += (2 * Math.PI * 140 * (1 + 0.05 * Math.sin(2 * Math.PI * 3 * t))) / rate;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / h;
      samples[i] = Math.round(1500 * v * (0.7 + 0.3 * Math.sin(2 * Math.PI * 4 * t)) + hiss);
    } else {
      samples[i] = Math.round(hiss);
    }
  }
  const frames: AudioFrame[] = [];
  for (let i = 0; i + size <= total; i += size) {
    frames.push({ data: samples.subarray(i, i + size), sampleRate: rate, channels: 1 });
  }
  return frames;
}

/**
 * `calls` > 1: that many sessions take a frame each in turn, each at its own point of the cycle,
 * as a server's calls do. One session alone keeps its state in the cache; hundreds do not, and
 * the same frame costs more (the case that shows it).
 */
async function runCase(
  name: string,
  inputRate: number,
  seconds: number,
  calls = 1,
): Promise<Record<string, unknown>> {
  const pipeline = new AudioPipeline({
    agc: new SimpleAGCProvider({ targetLevelDbfs: -12 }),
    vad: new EnergyVADProvider({ threshold: 300, silenceMs: 500 }),
  });
  const sessions = await Promise.all(
    Array.from({ length: calls }, (_, c) =>
      pipeline.createSession(`${name}-${c}`, { inputSampleRate: inputRate }),
    ),
  );
  let utterances = 0;
  for (const session of sessions) session.on('speechEnd', () => utterances++);
  const cycle = cycleFrames(inputRate);
  // Staggered: call c starts 7c frames into the cycle.
  const frameOf = (round: number, call: number) => cycle[(round + call * 7) % cycle.length]!;
  const warmupRounds = Math.ceil(5_000 / calls);
  for (let r = 0; r < warmupRounds; r++)
    for (let c = 0; c < calls; c++) sessions[c]!.processInbound(frameOf(r, c));
  utterances = 0;
  const rounds = Math.round((seconds * 1000) / FRAME_MS / calls);
  const frames = rounds * calls;
  let checksum = 0;
  const load = os.loadavg()[0];
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++)
    for (let c = 0; c < calls; c++) checksum += sessions[c]!.processInbound(frameOf(r, c)).data[7];
  const elapsedNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = cpu.user + cpu.system;
  for (const session of sessions) session.close();
  const framesPerSecond = frames / (elapsedNs / 1e9);
  return {
    case: name,
    calls,
    stages: 'agc(-12 dBFS) + energy-vad(rms>=300, 500 ms silence)',
    inputSampleRate: inputRate,
    internalSampleRate: 16000,
    frameMs: FRAME_MS,
    frames,
    audioSeconds: seconds,
    elapsedMs: Math.round(elapsedNs / 1e4) / 100,
    framesPerSecond: Math.round(framesPerSecond),
    usPerFrame: Math.round((elapsedNs / frames / 1000) * 1000) / 1000,
    // CPU time is what other processes on a shared machine disturb least.
    cpuUsPerFrame: Math.round((cpuUs / frames) * 1000) / 1000,
    framesPerCpuSecond: Math.round(frames / (cpuUs / 1e6)),
    loadAverage1m: Math.round(load * 100) / 100,
    realtimeFactor: Math.round(framesPerSecond * (FRAME_MS / 1000)),
    utterances,
    checksum,
  };
}

export async function benchPipeline(): Promise<Record<string, unknown>[]> {
  return [
    await runCase('agc+energy-vad 16k', 16000, 20_000),
    await runCase('agc+energy-vad 16k, 600 calls in turn', 16000, 20_000, 600),
    await runCase('resample 8k->16k + agc+energy-vad', 8000, 4_000),
    await runCase('resample 48k->16k + agc+energy-vad', 48000, 2_000),
  ];
}
