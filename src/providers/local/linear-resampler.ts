/**
 * A small streaming linear-interpolation resampler for PCM s16 mono. It keeps the last
 * sample and the fractional read position between calls, so feeding a signal in frames
 * gives the same output as feeding it whole. Good enough for feeding an ASR model or
 * matching a TTS engine's rate; not a high-fidelity (band-limited) converter.
 * Used here because the project's shared resampler (src/voice/audio/) did not exist yet.
 */
export class LinearResampler {
  private readonly step: number;
  /** Next output position in input samples, relative to the start of the next chunk (-1 = `prev`). */
  private pos = 0;
  private prev = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    if (!(inRate > 0 && outRate > 0)) throw new RangeError(`invalid sample rates ${inRate} -> ${outRate}`);
    this.step = inRate / outRate;
  }

  process(input: Int16Array): Int16Array {
    if (this.inRate === this.outRate) return input;
    const n = input.length;
    if (n === 0) return new Int16Array(0);
    const out = new Int16Array(Math.max(0, Math.floor((n - 1 - this.pos) / this.step) + 1));
    let pos = this.pos;
    let k = 0;
    while (pos <= n - 1 && k < out.length) {
      const i = Math.floor(pos);
      const frac = pos - i;
      const a = i < 0 ? this.prev : input[i];
      const b = i + 1 < n ? input[i + 1] : a;
      out[k++] = Math.round(a + (b - a) * frac);
      pos += this.step;
    }
    this.pos = pos - n;
    this.prev = input[n - 1];
    return k === out.length ? out : out.subarray(0, k);
  }
}

/** One-shot conversion of a whole buffer. */
export function resampleLinear(input: Int16Array, inRate: number, outRate: number): Int16Array {
  return new LinearResampler(inRate, outRate).process(input);
}
