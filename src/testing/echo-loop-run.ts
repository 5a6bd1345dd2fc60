import { Channel } from '../channels/channel.js';
import { ValidationError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { RoomKit } from '../core/roomkit.js';
import { ChannelType, HookTrigger } from '../models/index.js';
import { ManualClock, type OutboundPacer } from '../voice/pacer.js';
import type { VoiceChannel } from '../voice/voice-channel.js';
import { EchoLoopBackend, type EchoLoopBackendOptions } from './echo-loop-backend.js';

export interface EchoLoopRunOptions {
  /**
   * Builds the channel under test over the loop's backend. Pass `clock` to the channel
   * (`new VoiceChannel(id, { ..., backend, clock })`) so both run on the same virtual time.
   */
  channel(backend: EchoLoopBackend, clock: ManualClock): VoiceChannel;
  /** The echo path and line (delay, gain, noise, room...). */
  loop?: Omit<EchoLoopBackendOptions, 'clock'>;
  /** What the agent says, one reply after the other. */
  replies: string[];
  /**
   * The caller talks over some replies: `speech(i)` (PCM at the loop's rate, or undefined
   * to stay silent during reply i), starting `afterMs` into the reply's audio.
   */
  caller?: { speech: (reply: number) => Int16Array | undefined; afterMs: number };
  /** Silence after each reply, in which its echo dies out. Default 1500 ms. */
  gapMs?: number;
  /** Longest a reply may take on the virtual clock. Default 60 s. */
  maxReplyMs?: number;
  /** Longest to wait (real time) for the TTS to produce audio. Default 20 s. */
  ttsTimeoutMs?: number;
  /**
   * Real time to leave, per 20 ms of virtual time, to work that runs at its own pace (a
   * local STT decoding in a thread). Default 0: everything else is on the virtual clock.
   */
  settleMs?: number;
}

export interface EchoLoopReply {
  reply: number;
  /** Clock time of the reply's first audio (the loop's clock starts at 0). */
  startedAtMs: number;
  /** The agent interrupted itself: a barge-in before the caller said anything. */
  selfInterrupted: boolean;
  /** The caller spoke over this reply. */
  callerSpoke: boolean;
  /** The caller spoke and the barge-in came after their speech began. */
  bargeInDetected: boolean;
  /** From the caller's speech onset to the barge-in. */
  latencyMs?: number;
  /** When the (first) barge-in came, after the reply's first audio. */
  bargeInAtMs?: number;
  /** When the caller's speech began, after the reply's first audio. */
  callerOnsetMs?: number;
  /** Utterances the pipeline ended (each one a turn sent to the STT in VAD turn taking). */
  userTurns: number;
}

export interface EchoLoopReport {
  replies: EchoLoopReply[];
  selfInterruptions: number;
  callerReplies: number;
  bargeInsDetected: number;
  /** Utterances during replies the caller did not speak over: the echo heard as the caller. */
  echoTurns: number;
  latencyMs?: { median: number; p95: number; max: number };
  /** The echo path the pipeline settled on (estimated delay, learnt gains). */
  echo?: Record<string, unknown>;
}

const ROOM = 'echo-loop';
/** Energy at which a 10 ms block counts as speech onset: the energy VAD's default threshold. */
const ONSET_RMS = 300;

/**
 * Runs a VoiceChannel against an EchoLoopBackend on virtual time: the agent speaks each
 * reply, its audio comes back into the microphone through the echo path, the caller
 * optionally talks over it, and the report says how often the agent interrupted itself,
 * how often (and how fast) it heard the real caller, and how many utterances its own echo
 * produced. The TTS runs for real: the virtual clock waits for its audio.
 */
export async function runEchoLoop(options: EchoLoopRunOptions): Promise<EchoLoopReport> {
  const clock = new ManualClock(0);
  const backend = new EchoLoopBackend({ ...options.loop, clock });
  const voice = options.channel(backend, clock);
  if (voice.clock !== clock) throw new ValidationError('runEchoLoop: give the channel the loop clock');
  const kit = new RoomKit({ logger: silentLogger });
  const frameMs = 20;
  const settleMs = options.settleMs ?? 0;
  const step = async () => {
    clock.advance(frameMs);
    // Let what the tick started (hooks, STT calls, the TTS stream) run before the next one.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  };
  const bargeIns: number[] = [];
  let speechEnds = 0;
  try {
    kit.registerChannel(voice);
    kit.registerChannel(new ScriptChannel('agent-script'));
    await kit.createRoom({ roomId: ROOM });
    await kit.attachChannel(ROOM, 'agent-script');
    kit.hook(HookTrigger.ON_BARGE_IN, () => void bargeIns.push(clock.now()), { name: 'echo-loop-barge-in' });
    kit.hook(HookTrigger.ON_SPEECH_END, () => void speechEnds++, { name: 'echo-loop-speech-end' });
    const session = await kit.connectVoice(ROOM, 'caller', voice.id);
    const rt = voice.getRuntime(session.id);
    if (!rt) throw new ValidationError('runEchoLoop: the channel did not bind the session');
    for (let i = 0; i < 25; i++) await step();

    const replies: EchoLoopReply[] = [];
    for (const [index, text] of options.replies.entries()) {
      const firstBargeIn = bargeIns.length;
      const endsBefore = speechEnds;
      await kit.sendEvent(ROOM, 'agent-script', { type: 'text', body: text });
      // The reply starts when its first audio plays; the TTS may need real time to get there.
      const started = await until(
        () => backend.isPlaying(session),
        async () => {
          await waitForAudio(rt, options.ttsTimeoutMs ?? 20_000);
          await step();
        },
        options.maxReplyMs ?? 60_000,
        frameMs,
      );
      if (!started) throw new ValidationError(`runEchoLoop: reply ${index} never played`);
      const startMs = clock.now();
      const speech = options.caller?.speech(index);
      let onsetAt: number | undefined;
      let quietFrom = 0;
      if (speech && options.caller) {
        const said = backend.say(session, speech, { atMs: startMs + options.caller.afterMs });
        onsetAt = said.atMs + speechOnsetMs(speech, backend.sampleRate);
        quietFrom = said.atMs + said.durationMs;
      }
      await until(
        () => !rt.isSpeaking && !backend.isPlaying(session),
        async () => {
          await waitForAudio(rt, options.ttsTimeoutMs ?? 20_000);
          await step();
        },
        options.maxReplyMs ?? 60_000,
        frameMs,
      );
      // The echo dies out, and the caller has finished, before the next reply.
      const nextAt = Math.max(clock.now(), quietFrom) + (options.gapMs ?? 1500);
      while (clock.now() < nextAt) await step();
      const cut = bargeIns.slice(firstBargeIn);
      const early = cut.find((t) => onsetAt === undefined || t < onsetAt);
      const heard = onsetAt === undefined ? undefined : cut.find((t) => t >= onsetAt);
      replies.push({
        reply: index,
        startedAtMs: startMs,
        selfInterrupted: early !== undefined,
        callerSpoke: onsetAt !== undefined,
        bargeInDetected: early === undefined && heard !== undefined,
        ...(early === undefined && heard !== undefined && onsetAt !== undefined
          ? { latencyMs: heard - onsetAt }
          : {}),
        userTurns: speechEnds - endsBefore,
        ...(cut.length ? { bargeInAtMs: cut[0] - startMs } : {}),
        ...(onsetAt !== undefined ? { callerOnsetMs: onsetAt - startMs } : {}),
      });
    }
    const echo = rt.pipeline.echoState;
    return summarize(replies, echo ? { ...echo } : undefined);
  } finally {
    await kit.close();
  }
}

/** Where speech starts in `pcm`: the first 10 ms block at or above the energy VAD's threshold. */
export function speechOnsetMs(pcm: Int16Array, sampleRate: number): number {
  const block = Math.max(1, Math.round(sampleRate / 100));
  for (let at = 0; at + block <= pcm.length; at += block) {
    let sum = 0;
    for (let i = at; i < at + block; i++) sum += pcm[i] * pcm[i];
    if (Math.sqrt(sum / block) >= ONSET_RMS) return (at * 1000) / sampleRate;
  }
  return 0;
}

function summarize(replies: EchoLoopReply[], echo: Record<string, unknown> | undefined): EchoLoopReport {
  const latencies = replies.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  return {
    replies,
    selfInterruptions: replies.filter((r) => r.selfInterrupted).length,
    callerReplies: replies.filter((r) => r.callerSpoke).length,
    bargeInsDetected: replies.filter((r) => r.bargeInDetected).length,
    echoTurns: replies.filter((r) => !r.callerSpoke).reduce((n, r) => n + r.userTurns, 0),
    ...(latencies.length
      ? { latencyMs: { median: pick(0.5), p95: pick(0.95), max: latencies[latencies.length - 1] } }
      : {}),
    ...(echo ? { echo } : {}),
  };
}

/** Steps the virtual clock until `done`, at most `maxMs` of it. */
async function until(
  done: () => boolean,
  step: () => Promise<void>,
  maxMs: number,
  frameMs: number,
): Promise<boolean> {
  for (let t = 0; t <= maxMs; t += frameMs) {
    if (done()) return true;
    await step();
  }
  return done();
}

/**
 * The virtual clock must not run ahead of the TTS: while a reply is being spoken and the
 * pacer has nothing queued, wait (real time) for the next audio.
 */
async function waitForAudio(rt: { isSpeaking: boolean; pacer: OutboundPacer }, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  const starving = () =>
    rt.isSpeaking && (rt.pacer.state === 'idle' || (rt.pacer.state === 'playing' && rt.pacer.queuedMs === 0));
  while (starving()) {
    if (performance.now() > deadline)
      throw new ValidationError('runEchoLoop: the TTS produced no audio in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Posts the agent's replies into the room; receives nothing. */
class ScriptChannel extends Channel {
  readonly channelType = ChannelType.WEBHOOK;
}
