import { join } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { WavFileWriter } from '../audio/wav-file-writer.js';
import type { AudioFrame } from '../types.js';
import { SampleFifo } from './sample-fifo.js';
import {
  type AudioRecorder,
  RecordingChannelMode,
  RecordingMode,
  type RecorderStage,
  type RecordingResult,
  type StageContext,
} from './stages.js';

export interface WavFileRecorderOptions {
  /** Folder for `<sessionId>.wav` files (ignored when `path` is given). Default: the working directory. */
  directory?: string;
  /** Full file path per session. */
  path?: (sessionId: string) => string;
  /** Which directions to record. Default BOTH. */
  mode?: RecordingMode;
  /** With BOTH: STEREO (inbound left, outbound right) or MIXED (one channel). Default STEREO. */
  channelMode?: RecordingChannelMode;
}

/**
 * Records a session to a PCM16 WAV at the pipeline's internal rate. With both directions,
 * inbound audio is the clock: outbound audio (which TTS produces faster than real time) is
 * queued and laid beside the inbound samples as they arrive, which is how it was heard.
 */
export class WavFileRecorder implements AudioRecorder {
  readonly name = 'wav-recorder';
  readonly options: Required<Omit<WavFileRecorderOptions, 'path'>> & Pick<WavFileRecorderOptions, 'path'>;

  constructor(options: WavFileRecorderOptions = {}) {
    const mode = options.mode ?? RecordingMode.BOTH;
    const channelMode = options.channelMode ?? RecordingChannelMode.STEREO;
    if (!Object.values(RecordingMode).includes(mode))
      throw new ValidationError(`unknown recording mode ${mode}`);
    if (!Object.values(RecordingChannelMode).includes(channelMode)) {
      throw new ValidationError(`unknown recording channel mode ${channelMode}`);
    }
    this.options = { directory: options.directory ?? '.', path: options.path, mode, channelMode };
  }

  createStage(ctx: StageContext): RecorderStage {
    const path =
      this.options.path?.(ctx.sessionId) ?? join(this.options.directory, `${safeName(ctx.sessionId)}.wav`);
    return new WavRecorderStage(ctx, path, this.options.mode, this.options.channelMode);
  }
}

function safeName(sessionId: string): string {
  return sessionId.replace(/[^A-Za-z0-9._-]/g, '_');
}

class WavRecorderStage implements RecorderStage {
  private readonly writer: WavFileWriter;
  private readonly outbound = new SampleFifo();
  private scratchOut = new Int16Array(0);
  private scratchMix = new Int16Array(0);
  private result: RecordingResult | undefined;

  constructor(
    private readonly ctx: StageContext,
    path: string,
    private readonly mode: RecordingMode,
    private readonly channelMode: RecordingChannelMode,
  ) {
    const channels = mode === RecordingMode.BOTH && channelMode === RecordingChannelMode.STEREO ? 2 : 1;
    this.writer = new WavFileWriter(path, { sampleRate: ctx.sampleRate, channels });
  }

  tapInbound(frame: AudioFrame): void {
    if (this.result || this.mode === RecordingMode.OUTBOUND_ONLY) return;
    if (this.mode === RecordingMode.INBOUND_ONLY) {
      this.writer.write(frame.data);
      return;
    }
    const n = frame.data.length;
    if (this.scratchOut.length < n) this.scratchOut = new Int16Array(n);
    this.outbound.shiftInto(this.scratchOut, 0, n);
    this.writeBoth(frame.data, this.scratchOut, n);
  }

  tapOutbound(frame: AudioFrame): void {
    if (this.result || this.mode === RecordingMode.INBOUND_ONLY) return;
    if (this.mode === RecordingMode.OUTBOUND_ONLY) this.writer.write(frame.data);
    else this.outbound.push(frame.data);
  }

  clearOutbound(): void {
    this.outbound.clear();
  }

  close(): RecordingResult {
    if (this.result) return this.result;
    // Outbound audio still queued played after the last inbound frame: keep it.
    const rest = this.outbound.length;
    if (rest > 0) {
      const out = new Int16Array(rest);
      this.outbound.shiftInto(out, 0, rest);
      this.writeBoth(new Int16Array(rest), out, rest);
    }
    const durationSeconds = this.writer.durationSeconds;
    const sizeBytes = this.writer.close();
    this.result = {
      sessionId: this.ctx.sessionId,
      path: this.writer.path,
      durationSeconds,
      sampleRate: this.writer.sampleRate,
      channels: this.writer.channels,
      sizeBytes,
      mode: this.mode,
    };
    return this.result;
  }

  private writeBoth(inbound: Int16Array, outbound: Int16Array, n: number): void {
    const stereo = this.channelMode === RecordingChannelMode.STEREO;
    const size = stereo ? n * 2 : n;
    if (this.scratchMix.length < size) this.scratchMix = new Int16Array(size);
    const mix = this.scratchMix;
    if (stereo) {
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        mix[j] = inbound[i];
        mix[j + 1] = outbound[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = inbound[i] + outbound[i];
        mix[i] = v > 32767 ? 32767 : Math.max(v, -32768);
      }
    }
    this.writer.write(mix.subarray(0, size));
  }
}
