import { ValidationError } from '../../core/errors.js';
import type { AudioFrame } from '../types.js';
import { BlockAdapter } from './block-adapter.js';
import { ReusableFrame } from './reusable-frame.js';
import { SampleFifo } from './sample-fifo.js';
import { loadSpeexDsp, SPEEX_ECHO_SET_SAMPLING_RATE, type SpeexDsp } from './speexdsp.js';
import type { AECProvider, AECStage, StageContext } from './stages.js';

export interface SpeexAECOptions {
  /** Block the canceller works on. Default 10 ms. */
  frameMs?: number;
  /** Longest echo path it can model (room reverb + transport delay). Default 200 ms. */
  filterLengthMs?: number;
  /** Reference audio queued beyond this is dropped (it would never line up). Default 2000 ms. */
  maxReferenceMs?: number;
}

const COMPONENT = 'SpeexAECProvider (libspeexdsp)';

/**
 * Acoustic echo cancellation with Debian's libspeexdsp (through koffi). The outbound audio
 * is queued as the reference and consumed one block per inbound block, so a TTS burst
 * generated ahead of real time lines up with what the microphone hears as it plays out.
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
    };
    const { frameMs, filterLengthMs } = this.options;
    if (!(frameMs > 0 && frameMs <= 40))
      throw new ValidationError(`AEC frameMs must be in (0, 40], got ${frameMs}`);
    if (!(filterLengthMs >= frameMs)) throw new ValidationError('AEC filterLengthMs must be >= frameMs');
    this.dsp = loadSpeexDsp(COMPONENT);
  }

  createStage(ctx: StageContext): AECStage {
    return new SpeexAECStage(this.dsp, ctx.sampleRate, this.options);
  }
}

class SpeexAECStage implements AECStage {
  private state: unknown;
  private readonly blocks: BlockAdapter;
  private readonly reference = new SampleFifo();
  private readonly maxReference: number;
  private readonly mic: Int16Array;
  private readonly ref: Int16Array;
  private readonly cleaned: Int16Array;
  private readonly out = new ReusableFrame();

  constructor(
    private readonly dsp: SpeexDsp,
    sampleRate: number,
    options: Required<SpeexAECOptions>,
  ) {
    const frameSize = Math.round((sampleRate * options.frameMs) / 1000);
    const filterLength = Math.round((sampleRate * options.filterLengthMs) / 1000);
    this.state = dsp.echoStateInit(frameSize, filterLength);
    if (!this.state) throw new ValidationError('speex_echo_state_init failed');
    dsp.echoCtl(this.state, SPEEX_ECHO_SET_SAMPLING_RATE, [sampleRate]);
    this.maxReference = Math.round((sampleRate * options.maxReferenceMs) / 1000);
    this.mic = new Int16Array(frameSize);
    this.ref = new Int16Array(frameSize);
    this.cleaned = new Int16Array(frameSize);
    this.blocks = new BlockAdapter(frameSize, (src, so, dst, dOff) => this.cancelBlock(src, so, dst, dOff));
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
    this.blocks.process(frame.data, out.data);
    return out;
  }

  private cancelBlock(src: Int16Array, srcOffset: number, dst: Int16Array, dstOffset: number): void {
    const size = this.mic.length;
    for (let i = 0; i < size; i++) this.mic[i] = src[srcOffset + i];
    // Nothing playing: the reference is silence, which also lets the filter settle.
    this.reference.shiftInto(this.ref, 0, size);
    this.dsp.echoCancellation(this.state, this.mic, this.ref, this.cleaned);
    for (let i = 0; i < size; i++) dst[dstOffset + i] = this.cleaned[i];
  }

  reset(): void {
    if (this.state) this.dsp.echoStateReset(this.state);
    this.reference.clear();
    this.blocks.reset();
  }

  close(): void {
    if (!this.state) return;
    this.dsp.echoStateDestroy(this.state);
    this.state = undefined;
  }
}
