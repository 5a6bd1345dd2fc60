import { DuplicateError, ValidationError } from '../../core/errors.js';
import { loadResampler } from '../audio/resampler.js';
import { assertSupportedSampleRate } from '../audio/sample-rates.js';
import type { EchoGuardOptions } from '../echo/echo-guard.js';
import { hasCapability, VoiceCapability } from '../types.js';
import { AudioPipelineSession, type SessionStages } from './audio-pipeline-session.js';
import { type AudioPipelineEventName, type AudioPipelineListener, PipelineEmitter } from './events.js';
import type {
  AECProvider,
  AGCProvider,
  AudioPostProcessor,
  AudioRecorder,
  DenoiserProvider,
  DiarizationProvider,
  DTMFDetector,
  StageContext,
  VADProvider,
} from './stages.js';

export interface AudioPipelineConfig {
  vad?: VADProvider;
  aec?: AECProvider;
  agc?: AGCProvider;
  denoiser?: DenoiserProvider;
  recorder?: AudioRecorder;
  dtmf?: DTMFDetector;
  /** Who is speaking: runs after the VAD and emits `speakerChange` (e.g. MfccDiarizationProvider). */
  diarization?: DiarizationProvider;
  /** Applied to outbound audio in order, before the recorder and the AEC reference. */
  postProcessors?: AudioPostProcessor[];
  /** Rate every stage runs at. Default 16000. */
  internalSampleRate?: number;
  /** Speex resampler quality 0-10 for the session's converters. Default 5. */
  resamplerQuality?: number;
  /** Spacing of `audioLevel` events per direction (0 = every frame). Default 100 ms. */
  levelIntervalMs?: number;
  /**
   * How the AEC stage is driven (echo path delay, double-talk detection): see
   * `EchoGuardOptions`. Only used when `aec` is set and the transport has no NATIVE_AEC.
   */
  echo?: EchoGuardOptions;
}

export interface PipelineSessionOptions {
  /** Rate of inbound frames from the transport. Default: the internal rate. */
  inputSampleRate?: number;
  /** Rate the transport wants outbound frames at. Default: the input rate. */
  outputSampleRate?: number;
  /** What the transport does natively: NATIVE_AEC skips AEC, NATIVE_AGC skips AGC. */
  capabilities?: VoiceCapability;
  /**
   * The AEC reference is fed at playback time through `session.feedAecReference` (by the
   * voice channel from its pacer or the transport's onAudioPlayed, or by the transport
   * itself), so processOutbound must not feed it too. Without it, processOutbound feeds the
   * reference as if the audio played from the moment it is processed, back to back.
   */
  referenceAtPlayback?: boolean;
  /** @deprecated Same as `referenceAtPlayback`. */
  backendFeedsAecReference?: boolean;
  /** The clock the echo reference and microphone are placed on (default performance.now). */
  clock?: { now(): number };
}

/**
 * The voice audio pipeline. Holds stage providers; each session gets its own stage
 * instances, so sessions never share state and interleaving them changes nothing.
 *
 * Inbound:  resample -> recorder tap -> DTMF -> AEC -> AGC -> denoiser -> VAD -> diarization
 * Outbound: post-processors -> recorder tap -> AEC reference -> resample to the transport
 */
export class AudioPipeline {
  readonly config: Readonly<AudioPipelineConfig>;
  readonly internalSampleRate: number;
  private readonly emitter = new PipelineEmitter();
  private readonly sessions = new Map<string, AudioPipelineSession>();

  constructor(config: AudioPipelineConfig = {}) {
    this.internalSampleRate = config.internalSampleRate ?? 16000;
    assertSupportedSampleRate(this.internalSampleRate, 'internal sample rate');
    const quality = config.resamplerQuality ?? 5;
    if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
      throw new ValidationError(`resamplerQuality must be 0-10, got ${quality}`);
    }
    const interval = config.levelIntervalMs ?? 100;
    if (!(interval >= 0)) throw new ValidationError(`levelIntervalMs must be >= 0, got ${interval}`);
    this.config = { ...config, postProcessors: [...(config.postProcessors ?? [])] };
  }

  /** Events from every session (each carries its sessionId). Returns an unsubscribe function. */
  on<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): () => void {
    return this.emitter.on(name, listener);
  }

  off<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): void {
    this.emitter.off(name, listener);
  }

  /** Loads every wasm module the configured stages need, so the first call does not wait. */
  async warmup(): Promise<void> {
    await loadResampler();
    const c = this.config;
    const providers: unknown[] = [
      c.vad,
      c.aec,
      c.agc,
      c.denoiser,
      c.recorder,
      c.dtmf,
      c.diarization,
      ...(c.postProcessors ?? []),
    ];
    for (const p of providers) {
      const load = (p as { load?: () => Promise<void> } | undefined)?.load;
      if (typeof load === 'function') await load.call(p);
    }
  }

  /**
   * Creates a session's stage instances. Rejects with the provider's error (for instance an
   * AudioDependencyError when a native library or wasm module is missing).
   */
  async createSession(sessionId: string, opts: PipelineSessionOptions = {}): Promise<AudioPipelineSession> {
    if (this.sessions.has(sessionId)) throw new DuplicateError('pipeline session', sessionId);
    const inputSampleRate = opts.inputSampleRate ?? this.internalSampleRate;
    const outputSampleRate = opts.outputSampleRate ?? inputSampleRate;
    assertSupportedSampleRate(inputSampleRate, 'input sample rate');
    assertSupportedSampleRate(outputSampleRate, 'output sample rate');
    const capabilities = opts.capabilities ?? VoiceCapability.NONE;
    await loadResampler();
    const ctx: StageContext = { sessionId, sampleRate: this.internalSampleRate, capabilities };
    const stages = await this.createStages(ctx);
    if (this.sessions.has(sessionId)) {
      closeStages(stages);
      throw new DuplicateError('pipeline session', sessionId);
    }
    const session = new AudioPipelineSession({
      sessionId,
      internalSampleRate: this.internalSampleRate,
      inputSampleRate,
      outputSampleRate,
      resamplerQuality: this.config.resamplerQuality ?? 5,
      levelIntervalMs: this.config.levelIntervalMs ?? 100,
      feedAecFromOutbound: !(opts.referenceAtPlayback ?? opts.backendFeedsAecReference),
      echo: this.config.echo,
      clock: opts.clock,
      stages,
      pipelineEmitter: this.emitter,
      onClose: () => this.sessions.delete(sessionId),
    });
    this.sessions.set(sessionId, session);
    return session;
  }

  getSession(sessionId: string): AudioPipelineSession | undefined {
    return this.sessions.get(sessionId);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Closes every session (finishing recordings). */
  close(): void {
    for (const session of [...this.sessions.values()]) session.close();
  }

  private async createStages(ctx: StageContext): Promise<SessionStages> {
    const c = this.config;
    const stages: SessionStages = { postProcessors: [] };
    try {
      if (c.recorder) stages.recorder = await c.recorder.createStage(ctx);
      if (c.dtmf) stages.dtmf = await c.dtmf.createStage(ctx);
      if (c.aec && !hasCapability(ctx.capabilities, VoiceCapability.NATIVE_AEC)) {
        stages.aec = await c.aec.createStage(ctx);
      }
      if (c.agc && !hasCapability(ctx.capabilities, VoiceCapability.NATIVE_AGC)) {
        stages.agc = await c.agc.createStage(ctx);
      }
      if (c.denoiser) stages.denoiser = await c.denoiser.createStage(ctx);
      if (c.vad) stages.vad = await c.vad.createStage(ctx);
      if (c.diarization) stages.diarization = await c.diarization.createStage(ctx);
      for (const p of c.postProcessors ?? []) stages.postProcessors.push(await p.createStage(ctx));
      return stages;
    } catch (err) {
      closeStages(stages);
      throw err;
    }
  }
}

function closeStages(stages: SessionStages): void {
  const all = [
    stages.dtmf,
    stages.aec,
    stages.agc,
    stages.denoiser,
    stages.vad,
    stages.diarization,
    ...stages.postProcessors,
  ];
  for (const stage of all) {
    try {
      stage?.close?.();
    } catch {
      // Closing is best effort; the stage is being discarded either way.
    }
  }
  try {
    stages.recorder?.close();
  } catch {
    // same
  }
}
