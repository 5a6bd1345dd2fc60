import { rmsDbfs } from '../voice/audio/levels.js';
import type { EchoCanceller } from '../voice/echo/echo-canceller.js';
import { InputGate } from '../voice/session-hooks.js';
import { AudioConverter } from './audio-converter.js';
import type { RealtimeVoiceSession } from './realtime-channel-types.js';
import { TranscriptLog } from './realtime-handoff.js';
import { RealtimePlayback, type RealtimePlaybackOptions } from './realtime-playback.js';
import type { RealtimeToolSet } from './realtime-tools.js';
import type { RealtimeSessionConfig } from './session.js';

/** Level hooks fire about ten times a second, measured in audio time (not wall time). */
const LEVEL_INTERVAL_MS = 100;
/** Audio kept while the provider connects; past it the oldest goes (a stuck connect must not grow memory). */
const MAX_PENDING_MS = 10_000;

/**
 * Everything one realtime session holds inside the channel: its resamplers (only when rates
 * differ), the outbound playback, audio and text that arrived while connecting, level
 * metering, the transcript (for handoffs) and the effective configuration.
 */
export class RealtimeSessionRuntime {
  /** transport rate -> provider input rate. */
  inbound!: AudioConverter;
  /** provider output rate -> transport rate. */
  outbound!: AudioConverter;
  playback!: RealtimePlayback;
  /** Keeps the model's own voice (echoed by the caller's speaker) from being forwarded to it. */
  echo: EchoCanceller | null = null;
  readonly transcript: TranscriptLog;
  /** The prompt without carried-over history (handoffs add the history to this). */
  basePrompt: string | undefined;
  /** Config of the provider session (rates, voice, tools...). */
  config: RealtimeSessionConfig;
  tools: RealtimeToolSet;
  /** Assistant text heard so far in the current answer (for the barge-in payload). */
  assistantText = '';
  speechStartedAt?: number;
  toolsRunning = 0;
  /** Whether the channel's binding lets this session's audio in (checked per frame). */
  readonly inputGate: InputGate;
  /** A rollover to a new provider session is under way. */
  rolling = false;
  rolloverTimer?: NodeJS.Timeout;
  /** Transcript events enter the room in order, one after the other. */
  chain: Promise<void> = Promise.resolve();
  private pendingAudio: Int16Array[] = [];
  private pendingSamples = 0;
  readonly pendingText: string[] = [];
  private levelMs = { in: 0, out: 0 };

  constructor(
    readonly session: RealtimeVoiceSession,
    readonly transportRate: number,
    config: RealtimeSessionConfig & { inputSampleRate: number; outputSampleRate: number },
    tools: RealtimeToolSet,
    carryOverChars: number,
  ) {
    this.config = config;
    this.inputGate = new InputGate(session.roomId);
    this.basePrompt = config.systemPrompt;
    this.tools = tools;
    this.transcript = new TranscriptLog(carryOverChars);
  }

  get inputRate(): number {
    return this.config.inputSampleRate!;
  }

  /** Load the resamplers and start the playback; before any audio flows. */
  async open(playback: Omit<RealtimePlaybackOptions, 'sampleRate'>): Promise<void> {
    this.inbound = await AudioConverter.create(this.transportRate, this.inputRate);
    this.outbound = await AudioConverter.create(this.config.outputSampleRate!, this.transportRate);
    this.playback = new RealtimePlayback({ ...playback, sampleRate: this.transportRate });
  }

  /** Caller audio that arrived before the provider session was up (already at the input rate). */
  buffer(pcm: Int16Array): void {
    this.pendingAudio.push(pcm);
    this.pendingSamples += pcm.length;
    const max = (MAX_PENDING_MS / 1000) * this.inputRate;
    while (this.pendingSamples > max && this.pendingAudio.length > 1) {
      this.pendingSamples -= this.pendingAudio.shift()!.length;
    }
  }

  takePending(): Int16Array[] {
    const audio = this.pendingAudio;
    this.pendingAudio = [];
    this.pendingSamples = 0;
    return audio;
  }

  /** The level of a frame when a level hook is due for this direction, else undefined. */
  levelDue(direction: 'in' | 'out', pcm: Int16Array, rate: number): number | undefined {
    this.levelMs[direction] += (pcm.length / rate) * 1000;
    if (this.levelMs[direction] < LEVEL_INTERVAL_MS) return undefined;
    this.levelMs[direction] = 0;
    return rmsDbfs(pcm);
  }

  close(): void {
    clearTimeout(this.rolloverTimer);
    this.takePending();
    this.pendingText.length = 0;
    this.playback?.close();
    this.echo?.close();
    this.inbound?.close();
    this.outbound?.close();
  }
}
