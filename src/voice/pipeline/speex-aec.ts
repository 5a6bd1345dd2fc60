import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import { BlockAdapter } from './block-adapter.js';
import { ReusableFrame } from './reusable-frame.js';
import { SampleFifo } from './sample-fifo.js';
import {
  loadSpeexDsp,
  SPEEX_ECHO_SET_SAMPLING_RATE,
  SPEEX_PREPROCESS_SET_ECHO_STATE,
  SPEEX_PREPROCESS_SET_ECHO_SUPPRESS,
  SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE,
  SPEEX_PREPROCESS_SET_NOISE_SUPPRESS,
  type SpeexDsp,
} from './speexdsp.js';
import type { AECProvider, AECStage, StageContext } from './stages.js';

export interface SpeexAECOptions {
  /** Block the canceller works on. Default 10 ms. */
  frameMs?: number;
  /**
   * Longest echo the adaptive filter models, after the pipeline has delayed the reference
   * to match the echo path (so this is the room's tail plus some slack, not the network
   * delay). Default 200 ms: see `bench/echo.ts` for ERLE by length and delay.
   */
  filterLengthMs?: number;
  /** Reference queued beyond this is dropped (it would never line up). Default 2000 ms. */
  maxReferenceMs?: number;
  /**
   * Residual echo suppression after the linear filter (speexdsp's preprocessor coupled to
   * the echo state): removes what the filter leaves, typically another 15-20 dB. Default true.
   */
  residualSuppression?: boolean;
  /** Most the suppressor attenuates residual echo (dB, negative). Default -40. */
  echoSuppressDb?: number;
  /** The same while the caller talks too (dB, negative; gentler to keep their voice). Default -15. */
  echoSuppressActiveDb?: number;
  /**
   * Noise attenuation of the same preprocessor (dB, negative). The suppressor only runs with
   * its denoiser on, so this defaults to a light -6 dB; use the pipeline's denoiser stage for
   * real noise reduction.
   */
  noiseSuppressDb?: number;
}

const COMPONENT = 'SpeexAECProvider (libspeexdsp)';

/**
 * Acoustic echo cancellation with Debian's libspeexdsp (through koffi): the MDF adaptive
 * filter, then residual echo suppression. In a pipeline, the reference is the audio the
 * caller heard when they heard it, lined up with the microphone by the pipeline (delay
 * estimated and tracked); driven by hand, feed one reference frame before each frame.
 *
 * Constructing it loads the library, so a missing libspeexdsp fails at configuration time.
 */
export class SpeexAECProvider implements AECProvider {
  readonly name = 'speex-aec';
  readonly options: Required<SpeexAECOptions>;
  private readonly dsp: SpeexDsp;

  constructor(options: SpeexAECOptions = {}) {
    this.options = {
      frameMs: options.frameMs ?? 10,
      filterLengthMs: options.filterLengthMs ?? 200,
      maxReferenceMs: options.maxReferenceMs ?? 2000,
      residualSuppression: options.residualSuppression ?? true,
      echoSuppressDb: options.echoSuppressDb ?? -40,
      echoSuppressActiveDb: options.echoSuppressActiveDb ?? -15,
      noiseSuppressDb: options.noiseSuppressDb ?? 0,
    };
    const o = this.options;
    if (!(o.frameMs > 0 && o.frameMs <= 40))
      throw new ValidationError(`AEC frameMs must be in (0, 40], got ${o.frameMs}`);
    if (!(o.filterLengthMs >= o.frameMs)) throw new ValidationError('AEC filterLengthMs must be >= frameMs');
    for (const key of ['echoSuppressDb', 'echoSuppressActiveDb', 'noiseSuppressDb'] as const) {
      if (!(o[key] <= 0)) throw new ValidationError(`AEC ${key} must be <= 0 dB, got ${o[key]}`);
    }
    this.dsp = loadSpeexDsp(COMPONENT);
  }

  createStage(ctx: StageContext): AECStage {
    return new SpeexAECStage(this.dsp, ctx.sampleRate, this.options);
  }
}

class SpeexAECStage implements AECStage {
  readonly filterLengthMs: number;
  private state: unknown;
  private preprocess: unknown;
  private readonly blocks: BlockAdapter;
  private readonly reference = new SampleFifo();
  private readonly maxReference: number;
  private readonly mic: Int16Array;
  private readonly ref: Int16Array;
  private readonly cleaned: Int16Array;
  private readonly out = new ReusableFrame();
  private readonly linear = new ReusableFrame();

  constructor(
    private readonly dsp: SpeexDsp,
    private readonly sampleRate: number,
    private readonly options: Required<SpeexAECOptions>,
  ) {
    this.filterLengthMs = options.filterLengthMs;
    const frameSize = Math.round((sampleRate * options.frameMs) / 1000);
    this.maxReference = Math.round((sampleRate * options.maxReferenceMs) / 1000);
    this.mic = new Int16Array(frameSize);
    this.ref = new Int16Array(frameSize);
    this.cleaned = new Int16Array(frameSize);
    this.blocks = new BlockAdapter(frameSize, (src, so, dst, dOff, dst2) =>
      this.cancelBlock(src, so, dst, dOff, dst2),
    );
    this.open();
  }

  feedReference(frame: AudioFrame): void {
    this.reference.push(frame.data);
    this.reference.trimTo(this.maxReference);
  }

  clearReference(): void {
    this.reference.clear();
  }

  process(frame: AudioFrame): AudioFrame {
    if (!this.state) throw new ValidationError('AEC stage is closed');
    const out = this.out.prepare(frame.data.length, frame);
    this.blocks.process(frame.data, out.data, this.linear.prepare(frame.data.length, frame).data);
    return out;
  }

  /** The last processed frame after the linear filter, before residual suppression. */
  get linearOutput(): AudioFrame {
    return this.linear.frame;
  }

  /** Forgets the learnt echo path (the suppressor is coupled to it, so it starts over too). */
  reset(): void {
    this.destroy();
    this.open();
    this.reference.clear();
    this.blocks.reset();
  }

  close(): void {
    this.destroy();
  }

  private open(): void {
    const { dsp, options, sampleRate } = this;
    const frameSize = this.mic.length;
    const filterLength = Math.round((sampleRate * options.filterLengthMs) / 1000);
    this.state = dsp.echoStateInit(frameSize, filterLength);
    if (!this.state) throw new ValidationError('speex_echo_state_init failed');
    dsp.echoCtl(this.state, SPEEX_ECHO_SET_SAMPLING_RATE, [sampleRate]);
    if (!options.residualSuppression) return;
    this.preprocess = dsp.preprocessStateInit(frameSize, sampleRate);
    if (!this.preprocess) throw new ValidationError('speex_preprocess_state_init failed');
    dsp.preprocessCtl(this.preprocess, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, [options.noiseSuppressDb]);
    dsp.preprocessCtl(this.preprocess, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, [options.echoSuppressDb]);
    dsp.preprocessCtl(this.preprocess, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, [
      options.echoSuppressActiveDb,
    ]);
    dsp.preprocessSetEchoState(this.preprocess, SPEEX_PREPROCESS_SET_ECHO_STATE, this.state);
  }

  private destroy(): void {
    // The preprocessor points at the echo state: release it first.
    if (this.preprocess) this.dsp.preprocessStateDestroy(this.preprocess);
    if (this.state) this.dsp.echoStateDestroy(this.state);
    this.preprocess = undefined;
    this.state = undefined;
  }

  private cancelBlock(
    src: Int16Array,
    srcOffset: number,
    dst: Int16Array,
    dstOffset: number,
    linear?: Int16Array,
  ): void {
    const size = this.mic.length;
    for (let i = 0; i < size; i++) this.mic[i] = src[srcOffset + i];
    // Nothing playing: the reference is silence, which also lets the filter settle.
    this.reference.shiftInto(this.ref, 0, size);
    this.dsp.echoCancellation(this.state, this.mic, this.ref, this.cleaned);
    if (linear) linear.set(this.cleaned);
    if (this.preprocess) this.dsp.preprocessRun(this.preprocess, this.cleaned);
    for (let i = 0; i < size; i++) dst[dstOffset + i] = this.cleaned[i];
  }
}
