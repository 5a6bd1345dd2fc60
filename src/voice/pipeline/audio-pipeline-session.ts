import { defineLazyAudio } from './lazy-audio.js';
import { carriesAudio } from './speech-segmenter.js';
import { ValidationError } from '../../core/errors.js';
import { rmsDbfs } from '../audio/levels.js';
import { downmixToMono } from '../audio/pcm.js';
import { Resampler } from '../audio/resampler.js';
import { EchoGuard, type EchoGuardOptions, type EchoGuardState } from '../echo/echo-guard.js';
import type { AudioFrame } from '../types.js';
import {
  type AudioPipelineEventName,
  type AudioPipelineEvents,
  type AudioPipelineListener,
  PipelineEmitter,
  type PipelineStageName,
} from './events.js';
import type {
  AECStage,
  DiarizationStage,
  DTMFStage,
  FrameStage,
  RecorderStage,
  RecordingResult,
  VADEvent,
  VADStage,
} from './stages.js';

/** One session's stage instances (absent when not configured or skipped by capability). */
export interface SessionStages {
  recorder?: RecorderStage;
  dtmf?: DTMFStage;
  aec?: AECStage;
  agc?: FrameStage;
  denoiser?: FrameStage;
  vad?: VADStage;
  diarization?: DiarizationStage;
  postProcessors: FrameStage[];
}

export interface AudioPipelineSessionInit {
  sessionId: string;
  internalSampleRate: number;
  inputSampleRate: number;
  outputSampleRate: number;
  resamplerQuality: number;
  levelIntervalMs: number;
  feedAecFromOutbound: boolean;
  echo?: EchoGuardOptions;
  clock?: { now(): number };
  stages: SessionStages;
  pipelineEmitter: PipelineEmitter;
  onClose: () => void;
}

/**
 * One call's path through the pipeline. Frames returned by processInbound/processOutbound
 * are borrowed: their buffers are reused by the next call, so copy (cloneAudioFrame) what
 * you keep. Events are delivered synchronously, during the call that caused them.
 */
export class AudioPipelineSession {
  readonly id: string;
  readonly internalSampleRate: number;
  readonly inputSampleRate: number;
  readonly outputSampleRate: number;
  private readonly stages: SessionStages;
  private readonly emitter = new PipelineEmitter();
  private readonly reported = new Set<PipelineStageName>();
  private readonly inboundResamplers = new Map<number, Resampler>();
  private readonly referenceResamplers = new Map<number, Resampler>();
  private readonly outboundResamplers = new Map<number, Resampler>();
  private readonly inFrame: AudioFrame;
  private readonly refFrame: AudioFrame;
  private readonly outFrame: AudioFrame;
  private monoScratch = new Int16Array(0);
  private checkpoint = new Int16Array(0);
  private inboundLevelMs = 0;
  private outboundLevelMs = 0;
  private closed = false;
  private recording: RecordingResult | undefined;
  /** Lines the AEC reference up with the microphone and keeps echo from counting as the caller. */
  private readonly echo: EchoGuard | undefined;
  private readonly clock: { now(): number };

  constructor(private readonly init: AudioPipelineSessionInit) {
    this.id = init.sessionId;
    this.internalSampleRate = init.internalSampleRate;
    this.inputSampleRate = init.inputSampleRate;
    this.outputSampleRate = init.outputSampleRate;
    this.stages = init.stages;
    this.inFrame = { data: new Int16Array(0), sampleRate: init.internalSampleRate, channels: 1 };
    this.refFrame = { data: new Int16Array(0), sampleRate: init.internalSampleRate, channels: 1 };
    this.outFrame = { data: new Int16Array(0), sampleRate: init.outputSampleRate, channels: 1 };
    this.clock = init.clock ?? performance;
    if (init.stages.aec) this.echo = new EchoGuard(init.internalSampleRate, init.echo);
  }

  on<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): () => void {
    return this.emitter.on(name, listener);
  }

  off<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): void {
    this.emitter.off(name, listener);
  }

  /** The echo path as the AEC sees it (undefined without an AEC stage). */
  get echoState(): EchoGuardState | undefined {
    return this.echo?.state;
  }

  /** True between a VAD speech start and its speech end. */
  get isSpeaking(): boolean {
    return this.stages.vad?.isSpeaking ?? false;
  }

  /** The speaker the diarization stage last identified (undefined without one, or before). */
  get currentSpeaker(): string | undefined {
    return this.stages.diarization?.currentSpeaker;
  }

  /** Transport audio in; returns the cleaned frame at the internal rate (borrowed). */
  processInbound(frame: AudioFrame): AudioFrame {
    this.checkOpen();
    const s = this.stages;
    let f = this.toInternal(frame, this.inboundResamplers, this.inFrame, 'inboundResampler');
    if (s.recorder) {
      try {
        s.recorder.tapInbound(f);
      } catch (err) {
        this.report('recorder', err);
      }
    }
    if (s.dtmf) {
      try {
        const event = s.dtmf.process(f);
        if (event)
          this.emit('dtmf', { sessionId: this.id, digit: event.digit, timestampMs: frame.timestampMs });
      } catch (err) {
        this.report('dtmf', err);
      }
    }
    if (s.aec) f = this.cancelEcho(s.aec, f);
    if (s.agc) f = this.run('agc', s.agc, f);
    if (s.denoiser) f = this.run('denoiser', s.denoiser, f);
    if (s.vad) this.detectSpeech(s.vad, f, frame.timestampMs);
    if (s.diarization) this.diarize(s.diarization, f, frame.timestampMs);
    if (this.wantsLevel('inbound', f)) this.emitLevel('inbound', f.data, this.isSpeaking);
    return f;
  }

  /** TTS audio out; returns the frame at the transport's rate (borrowed). */
  processOutbound(frame: AudioFrame): AudioFrame {
    this.checkOpen();
    const s = this.stages;
    let f = frame;
    if (f.channels !== 1) f = { ...f, data: this.toMono(f), channels: 1 };
    // Indexed: a for-of would allocate an iterator per frame where the JIT does not remove it.
    for (let i = 0; i < s.postProcessors.length; i++) f = this.run('postProcessor', s.postProcessors[i], f);
    const feedAec = s.aec !== undefined && this.init.feedAecFromOutbound;
    if (s.recorder || feedAec) {
      const ref = this.toInternal(f, this.referenceResamplers, this.refFrame, 'outboundResampler');
      if (s.recorder) {
        try {
          s.recorder.tapOutbound(ref);
        } catch (err) {
          this.report('recorder', err);
        }
      }
      if (feedAec) this.feedReference(ref);
    }
    const out = this.outFrame;
    try {
      out.data = this.resamplerFor(this.outboundResamplers, f.sampleRate, this.outputSampleRate).process(
        f.data,
      );
      out.sampleRate = this.outputSampleRate;
    } catch (err) {
      this.report('outboundResampler', err);
      out.data = f.data;
      out.sampleRate = f.sampleRate;
    }
    out.timestampMs = frame.timestampMs;
    if (this.wantsLevel('outbound', out)) this.emitLevel('outbound', out.data, undefined);
    return out;
  }

  /**
   * End of a response: push the outbound resampler's filter tail out (otherwise the last
   * few milliseconds of the reply never play) and start the next response from a clean state.
   * Returns the tail at the transport rate (borrowed), or undefined when nothing was held.
   */
  flushOutbound(): AudioFrame | undefined {
    this.checkOpen();
    let tail: AudioFrame | undefined;
    for (const [rate, resampler] of this.outboundResamplers) {
      if (resampler.isPassThrough) continue;
      // 10 ms of silence is longer than the filter's delay at every supported quality.
      const data = resampler.process(new Int16Array(Math.ceil(rate / 100)));
      if (data.length) tail = { data: data.slice(), sampleRate: this.outputSampleRate, channels: 1 };
      resampler.reset();
    }
    return tail;
  }

  /**
   * The echo canceller's reference: `frame` (any rate, mono or stereo) starts playing to the
   * caller now, or at `atMs` on the session clock. Call it when the audio is heard (a pacer
   * sending it in real time, a transport playing it), not when it was produced. `exact`: `atMs`
   * is the frame's modelled playout time (frames back to back, or on arrival after an
   * underrun), not the moment a callback happened to run.
   */
  feedAecReference(frame: AudioFrame, atMs = this.clock.now(), exact = false): void {
    this.checkOpen();
    if (!this.echo) return;
    this.feedReference(
      this.toInternal(frame, this.referenceResamplers, this.refFrame, 'outboundResampler'),
      atMs,
      exact,
    );
  }

  /** Barge-in: outbound audio queued for the AEC reference and recorder will never play. */
  clearOutbound(): void {
    // What the resamplers hold belongs to the interrupted reply too.
    for (const resampler of this.outboundResamplers.values()) resampler.reset();
    try {
      this.echo?.truncate(this.clock.now());
      this.stages.recorder?.clearOutbound?.();
    } catch (err) {
      this.report('aec', err);
    }
  }

  /** Releases every stage and finishes the recording; safe to call twice. */
  close(): { recording?: RecordingResult } {
    if (this.closed) return this.recording ? { recording: this.recording } : {};
    this.closed = true;
    const s = this.stages;
    const named: [PipelineStageName, { close?(): void } | undefined][] = [
      ['dtmf', s.dtmf],
      ['aec', s.aec],
      ['agc', s.agc],
      ['denoiser', s.denoiser],
      ['vad', s.vad],
      ['diarization', s.diarization],
      ...s.postProcessors.map((p): [PipelineStageName, FrameStage] => ['postProcessor', p]),
    ];
    for (const [name, stage] of named) {
      try {
        stage?.close?.();
      } catch (err) {
        this.report(name, err);
      }
    }
    try {
      this.recording = s.recorder?.close();
    } catch (err) {
      this.report('recorder', err);
    }
    for (const map of [this.inboundResamplers, this.referenceResamplers, this.outboundResamplers]) {
      for (const r of map.values()) r.close();
      map.clear();
    }
    this.init.onClose();
    return this.recording ? { recording: this.recording } : {};
  }

  private detectSpeech(vad: VADStage, f: AudioFrame, timestampMs: number | undefined): void {
    try {
      const event = vad.process(f);
      if (!event) return;
      if (event.type === 'speech_start') {
        this.emit('speechStart', { sessionId: this.id, timestampMs });
      } else if (carriesAudio(event)) {
        this.emitSpeechEnd(event, timestampMs);
      }
    } catch (err) {
      this.report('vad', err);
    }
  }

  /**
   * The utterance's audio is read when the listener reads it: the segmenter copies it out
   * then (see SpeechSegmenter), inside the turn's slot rather than on this frame.
   */
  private emitSpeechEnd(event: VADEvent, timestampMs: number | undefined): void {
    const rate = this.internalSampleRate;
    const payload: Omit<AudioPipelineEvents['speechEnd'], 'audio'> = {
      sessionId: this.id,
      sampleRate: rate,
      durationMs: event.durationMs ?? (event.audio!.length / rate) * 1000,
      timestampMs,
    };
    if (event.silenceMs !== undefined) payload.silenceMs = event.silenceMs;
    this.emit('speechEnd', defineLazyAudio(payload, event));
  }

  /** Diarization sees the VAD's verdict (when there is a VAD), so it models speech only. */
  private diarize(stage: DiarizationStage, f: AudioFrame, timestampMs: number | undefined): void {
    try {
      const result = stage.process(f, this.stages.vad ? this.stages.vad.isSpeaking : undefined);
      if (result) this.emit('speakerChange', { sessionId: this.id, result, timestampMs });
    } catch (err) {
      this.report('diarization', err);
    }
  }

  private feedReference(ref: AudioFrame, atMs = this.clock.now(), exact = false): void {
    try {
      this.echo?.feedReference(ref.data, atMs, exact);
    } catch (err) {
      this.report('aec', err);
    }
  }

  /** The AEC stage driven by the echo guard; like `run`, a throw leaves the frame as it was. */
  private cancelEcho(aec: AECStage, f: AudioFrame): AudioFrame {
    const n = f.data.length;
    if (this.checkpoint.length < n) this.checkpoint = new Int16Array(n);
    const saved = this.checkpoint;
    saved.set(f.data);
    try {
      return this.echo!.process(f, this.clock.now(), aec);
    } catch (err) {
      f.data.set(n === saved.length ? saved : saved.subarray(0, n));
      this.report('aec', err);
      return f;
    }
  }

  /**
   * Runs a transforming stage; on a throw the frame goes on as it was. Stages must not
   * write into their input, but a checkpoint (one memcpy) makes that hold even for one that
   * does and then throws.
   */
  private run(name: PipelineStageName, stage: FrameStage, f: AudioFrame): AudioFrame {
    if (stage.preservesInput) {
      try {
        return stage.process(f);
      } catch (err) {
        this.report(name, err);
        return f;
      }
    }
    const n = f.data.length;
    if (this.checkpoint.length < n) this.checkpoint = new Int16Array(n);
    const saved = this.checkpoint;
    saved.set(f.data);
    try {
      return stage.process(f);
    } catch (err) {
      f.data.set(n === saved.length ? saved : saved.subarray(0, n));
      this.report(name, err);
      return f;
    }
  }

  private toInternal(
    frame: AudioFrame,
    resamplers: Map<number, Resampler>,
    target: AudioFrame,
    stage: PipelineStageName,
  ): AudioFrame {
    const mono = frame.channels === 1 ? frame.data : this.toMono(frame);
    if (frame.sampleRate === this.internalSampleRate && frame.channels === 1) return frame;
    try {
      target.data = this.resamplerFor(resamplers, frame.sampleRate, this.internalSampleRate).process(mono);
      target.sampleRate = this.internalSampleRate;
    } catch (err) {
      if (err instanceof ValidationError && !resamplers.has(frame.sampleRate)) throw err; // bad input, not a stage fault
      this.report(stage, err);
      target.data = mono;
      target.sampleRate = frame.sampleRate;
    }
    target.timestampMs = frame.timestampMs;
    return target;
  }

  private toMono(frame: AudioFrame): Int16Array {
    const n = Math.floor(frame.data.length / frame.channels);
    if (this.monoScratch.length < n) this.monoScratch = new Int16Array(n);
    return downmixToMono(frame.data, frame.channels, this.monoScratch.subarray(0, n));
  }

  private resamplerFor(map: Map<number, Resampler>, from: number, to: number): Resampler {
    let r = map.get(from);
    if (!r) {
      r = new Resampler({ inputRate: from, outputRate: to, quality: this.init.resamplerQuality });
      map.set(from, r);
    }
    return r;
  }

  private wantsLevel(direction: 'inbound' | 'outbound', f: AudioFrame): boolean {
    if (!this.emitter.hasListeners('audioLevel') && !this.init.pipelineEmitter.hasListeners('audioLevel')) {
      return false;
    }
    const ms = (f.data.length / f.sampleRate) * 1000;
    const elapsed =
      (direction === 'inbound' ? (this.inboundLevelMs += ms) : (this.outboundLevelMs += ms)) + 1e-9;
    if (elapsed < this.init.levelIntervalMs) return false;
    if (direction === 'inbound') this.inboundLevelMs = 0;
    else this.outboundLevelMs = 0;
    return true;
  }

  /** Outbound has no VAD: anything above near-silence counts as the agent speaking. */
  private emitLevel(
    direction: 'inbound' | 'outbound',
    data: Int16Array,
    isSpeech: boolean | undefined,
  ): void {
    const levelDb = rmsDbfs(data);
    this.emit('audioLevel', { sessionId: this.id, direction, levelDb, isSpeech: isSpeech ?? levelDb > -50 });
  }

  private emit<K extends AudioPipelineEventName>(name: K, event: AudioPipelineEvents[K]): void {
    const a = this.emitter.emit(name, event);
    const b = this.init.pipelineEmitter.emit(name, event);
    // A failing error listener is not reported again, or it would loop.
    if ((a || b) && name !== 'error') this.report('listener', (a ?? b)![0]);
  }

  /** Reports a stage failure once per session per stage, not once per frame. */
  private report(stage: PipelineStageName, error: unknown): void {
    if (this.reported.has(stage)) return;
    this.reported.add(stage);
    this.emit('error', { sessionId: this.id, stage, error });
  }

  private checkOpen(): void {
    if (this.closed) throw new ValidationError(`pipeline session ${this.id} is closed`);
  }
}
