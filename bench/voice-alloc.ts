/**
 * What the per-frame voice path allocates, from V8's sampling heap profiler (through the
 * inspector, counting objects the GC already collected) over 10,000 frames after warm-up:
 *   inbound   48 kHz transport frames -> resample to 16 kHz -> AGC -> energy VAD
 *   outbound  a reply's 20 ms TTS chunks -> pipeline -> pacer -> the transport's paced send
 * The inbound cycle is the pipeline bench's (1.2 s voiced / 0.8 s quiet), so utterances end
 * and hand their audio over: that copy belongs to the utterance, not to a frame, and is
 * reported on its own line (`by site`). Sampling is statistical: a site below the sampling
 * interval (64 bytes) per frame shows up as a few samples, not zero.
 */
import { Session } from 'node:inspector/promises';
import { OutboundPacer } from '../src/voice/pacer.js';
import { AudioPipeline } from '../src/voice/pipeline/audio-pipeline.js';
import { EnergyVADProvider } from '../src/voice/pipeline/energy-vad.js';
import { SimpleAGCProvider } from '../src/voice/pipeline/simple-agc.js';
import type { AudioFrame } from '../src/voice/types.js';
import type { ClockTask } from '../src/voice/voice-clock.js';

const FRAMES = 10_000;
const INTERVAL = 64;

interface SampledNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampledNode[];
  id: number;
}

async function sampled(
  session: Session,
  work: () => Promise<void> | void,
): Promise<{ bytes: number; sites: Map<string, number> }> {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: INTERVAL,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  await work();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: SampledNode; samples: { size: number; nodeId: number }[] };
  };
  const byId = new Map<number, SampledNode>();
  const walk = (n: SampledNode) => {
    byId.set(n.id, n);
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  const sites = new Map<string, number>();
  let bytes = 0;
  for (const s of profile.samples) {
    const n = byId.get(s.nodeId);
    // Each sample stands for about `samplingInterval` bytes of allocation at its site.
    const weight = Math.max(s.size, INTERVAL);
    bytes += weight;
    const site = n
      ? `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
      : '?';
    sites.set(site, (sites.get(site) ?? 0) + weight);
  }
  return { bytes, sites };
}

function cycleFrames(rate: number): AudioFrame[] {
  const size = rate / 50;
  const frames: AudioFrame[] = [];
  for (let k = 0; k < 100; k++) {
    const amplitude = k < 60 ? 4000 : 20;
    const data = new Int16Array(size);
    for (let i = 0; i < size; i++)
      data[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 300 * (k * size + i)) / rate));
    frames.push({ data, sampleRate: rate, channels: 1 });
  }
  return frames;
}

/** Virtual time for one pacer, with the allocation-free `schedule` a VoiceClock offers. */
class StepClock {
  private time = 0;
  private task: ClockTask | undefined;
  private due = 0;
  now = () => this.time;
  setTimer(): unknown {
    throw new Error('the pacer should use schedule()');
  }
  clearTimer(): void {}
  schedule(task: ClockTask, delayMs: number): void {
    this.task = task;
    this.due = this.time + delayMs;
  }
  cancel(): void {
    this.task = undefined;
  }
  advance(ms: number): void {
    this.time += ms;
    while (this.task && this.due <= this.time) {
      const task = this.task;
      this.task = undefined;
      task.run();
    }
  }
}

function report(name: string, result: { bytes: number; sites: Map<string, number> }, note: string) {
  const top = [...result.sites].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return {
    case: name,
    frames: FRAMES,
    samplingIntervalBytes: INTERVAL,
    bytesPerFrame: Math.round((result.bytes / FRAMES) * 10) / 10,
    bySite: Object.fromEntries(top.map(([site, b]) => [site, Math.round((b / FRAMES) * 10) / 10])),
    note,
  };
}

export async function benchVoiceAlloc(): Promise<Record<string, unknown>[]> {
  const session = new Session();
  session.connect();
  try {
    const pipeline = new AudioPipeline({
      agc: new SimpleAGCProvider({ targetLevelDbfs: -12 }),
      vad: new EnergyVADProvider({ threshold: 300, silenceMs: 500 }),
    });
    const inbound = await pipeline.createSession('alloc-in', { inputSampleRate: 48000 });
    const cycle = cycleFrames(48000);
    for (let i = 0; i < 5000; i++) inbound.processInbound(cycle[i % cycle.length]);
    const inResult = await sampled(session, () => {
      for (let i = 0; i < FRAMES; i++) inbound.processInbound(cycle[i % cycle.length]);
    });
    // The same path with no utterance ending: what a frame itself costs.
    const listening = await pipeline.createSession('alloc-steady', { inputSampleRate: 48000 });
    const hiss = cycle.slice(60);
    for (let i = 0; i < 5000; i++) listening.processInbound(hiss[i % hiss.length]);
    const steadyResult = await sampled(session, () => {
      for (let i = 0; i < FRAMES; i++) listening.processInbound(hiss[i % hiss.length]);
    });
    // Four times the frames: what grows with them is per frame, the rest is one-off (JIT, profiler).
    const steadyLonger = await sampled(session, () => {
      for (let i = 0; i < 4 * FRAMES; i++) listening.processInbound(hiss[i % hiss.length]);
    });
    const marginal = Math.max(0, (steadyLonger.bytes - steadyResult.bytes) / (3 * FRAMES));
    listening.close();

    // Outbound: the channel's path without a socket (the transport's send is a counter).
    const outbound = await pipeline.createSession('alloc-out', {
      inputSampleRate: 16000,
      outputSampleRate: 16000,
    });
    const clock = new StepClock();
    // The transport keeps what it is sent until its socket has written it: a send that dropped
    // the frame would let V8 optimise the frame and its view away, which no transport allows.
    const inFlight: AudioFrame[] = new Array(8);
    let sent = 0;
    const pacer = new OutboundPacer({
      sampleRate: 16000,
      clock,
      send: (frame) => {
        inFlight[sent++ & 7] = frame;
      },
    });
    const chunk = new Int16Array(320).map((_, i) => Math.round(3000 * Math.sin(i / 5)));
    const tts: AudioFrame = { data: chunk, sampleRate: 16000, channels: 1 };
    const play = (n: number) => {
      // As the runtime does: one chunk per frame of playback, the pacer sending what is due.
      for (let i = 0; i < n; i++) {
        const out = outbound.processOutbound(tts);
        pacer.push(out.data, out.data === tts.data);
        clock.advance(20);
      }
    };
    play(10_000);
    // Three windows, the median reported: before V8 has settled on its optimised code (or
    // after a deopt) one window can read several times the others.
    const outWindows: { bytes: number; sites: Map<string, number> }[] = [];
    for (let w = 0; w < 3; w++) outWindows.push(await sampled(session, () => play(FRAMES)));
    const outResult = [...outWindows].sort((a, b) => a.bytes - b.bytes)[1]!;
    inbound.close();
    outbound.close();
    return [
      {
        ...report(
          'inbound 48k->16k + agc + energy-vad, steady',
          steadyResult,
          'a caller between utterances: the per-frame path alone',
        ),
        marginalBytesPerFrame: Math.round(marginal * 100) / 100,
      },
      report(
        'inbound 48k->16k + agc + energy-vad, talking',
        inResult,
        'an utterance every 2 s: its speech start/end events and the audio handed to STT (endUtterance), per utterance',
      ),
      {
        ...report(
          'outbound tts chunk -> pipeline -> pacer -> send',
          outResult,
          'the pacer keeps the TTS chunk (no copy) and hands the transport a frame and a view of it per frame, which the transport keeps until its socket has written them',
        ),
        windowsBytesPerFrame: outWindows.map((w) => Math.round((w.bytes / FRAMES) * 10) / 10),
        framesSent: sent,
      },
    ];
  } finally {
    session.disconnect();
  }
}
