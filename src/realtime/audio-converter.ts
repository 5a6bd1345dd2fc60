import { Resampler } from '../voice/audio/resampler.js';

/**
 * One direction of a session's audio: resamples between the caller's rate and the wire rate
 * (Speex, per session so interleaved sessions never share filter state). The result is a
 * fresh array, safe to hand to listeners that keep it.
 */
export class AudioConverter {
  private constructor(private readonly resampler: Resampler | null) {}

  static async create(fromRate: number, toRate: number): Promise<AudioConverter> {
    return new AudioConverter(
      fromRate === toRate ? null : await Resampler.create({ inputRate: fromRate, outputRate: toRate }),
    );
  }

  /** For a rate discovered mid-stream; the wasm must already be loaded (any earlier create did). */
  static createLoaded(fromRate: number, toRate: number): AudioConverter {
    return new AudioConverter(
      fromRate === toRate ? null : new Resampler({ inputRate: fromRate, outputRate: toRate }),
    );
  }

  /** Output for input frames; equal rates return the input itself. */
  convert(pcm: Int16Array): Int16Array {
    return this.resampler ? this.resampler.process(pcm).slice() : pcm;
  }

  /** Like convert, but the result may be reused by the next call (for data sent at once). */
  convertTransient(pcm: Int16Array): Int16Array {
    return this.resampler ? this.resampler.process(pcm) : pcm;
  }

  close(): void {
    this.resampler?.close();
  }
}
