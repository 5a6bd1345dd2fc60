import type { AECProvider, AECStage } from '../pipeline/stages.js';
import type { AudioFrame } from '../types.js';
import { hasCapability, VoiceCapability } from '../types.js';
import { EchoGuard, type EchoGuardOptions, type EchoGuardState } from './echo-guard.js';

export interface EchoCancellerOptions {
  aec: AECProvider;
  /** Rate of the microphone and reference frames. */
  sampleRate: number;
  sessionId: string;
  /** The transport's capabilities: with NATIVE_AEC there is nothing to do (null is returned). */
  capabilities?: VoiceCapability;
  echo?: EchoGuardOptions;
  /** Default performance.now. */
  clock?: { now(): number };
}

/**
 * An AEC stage and its echo guard for a path that has no AudioPipeline (the realtime
 * channel forwards the caller's audio straight to a speech-to-speech model): what was
 * played goes in with `feedReference` when it is played, the microphone with `process`,
 * and echo-only input comes out suppressed, so the model's own voice is not forwarded
 * back to it as the caller.
 */
export class EchoCanceller {
  private readonly guard: EchoGuard;
  private readonly clock: { now(): number };
  private closed = false;

  private constructor(
    private readonly stage: AECStage,
    options: EchoCancellerOptions,
  ) {
    this.guard = new EchoGuard(options.sampleRate, options.echo);
    this.clock = options.clock ?? performance;
  }

  /** Null when the transport cancels echo itself (NATIVE_AEC). */
  static async create(options: EchoCancellerOptions): Promise<EchoCanceller | null> {
    const capabilities = options.capabilities ?? VoiceCapability.NONE;
    if (hasCapability(capabilities, VoiceCapability.NATIVE_AEC)) return null;
    const stage = await options.aec.createStage({
      sessionId: options.sessionId,
      sampleRate: options.sampleRate,
      capabilities,
    });
    return new EchoCanceller(stage, options);
  }

  get state(): EchoGuardState {
    return this.guard.state;
  }

  /**
   * A frame (mono, at the canceller's rate) starts playing to the caller now, or at `atMs`;
   * `exact` when that time comes from a playout model rather than a callback's arrival.
   */
  feedReference(frame: AudioFrame, atMs = this.clock.now(), exact = false): void {
    if (!this.closed) this.guard.feedReference(frame.data, atMs, exact);
  }

  /**
   * A frame the transport reports played: `lateMs` (from a transport that models playout)
   * says how long before this call it started, exactly; without it, it starts now.
   */
  feedPlayed(frame: AudioFrame, lateMs?: number): void {
    if (lateMs === undefined) this.feedReference(frame);
    else this.feedReference(frame, this.clock.now() - lateMs, true);
  }

  /** The caller's frame, echo removed; echo-only input comes back suppressed (borrowed frame). */
  process(frame: AudioFrame): AudioFrame {
    if (this.closed) return frame;
    return this.guard.process(frame, this.clock.now(), this.stage);
  }

  /** Playback stopped (barge-in): what was queued will never be heard. */
  truncate(): void {
    if (!this.closed) this.guard.truncate(this.clock.now());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stage.close?.();
  }
}
