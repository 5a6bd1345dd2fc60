/**
 * A tiny streaming linear-interpolation resampler (Int16 mono). It keeps the position and
 * the last sample between calls, so frame edges join without clicks or drift. Quality is
 * enough for speech recognition; the audio pipeline's Resampler is the better choice when
 * audio reaches the provider at the right rate already.
 */
export class LinearResampler {
  private readonly step: number;
  /** Position of the next output sample, in input samples, relative to the next chunk (-1 = last sample of the previous chunk). */
  private pos = 0;
  private last = 0;
  private started = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.step = fromRate / toRate;
  }

  process(input: Int16Array): Int16Array {
    if (this.fromRate === this.toRate) return input;
    const n = input.length;
    if (n === 0) return input;
    if (!this.started) {
      this.started = true;
      this.last = input[0];
    }
    const out = new Int16Array(Math.max(0, Math.ceil((n - 1 - this.pos) / this.step) + 1));
    let k = 0;
    let p = this.pos;
    while (p <= n - 1 && k < out.length) {
      const i = Math.floor(p);
      const frac = p - i;
      const a = i < 0 ? this.last : input[i];
      const b = i + 1 < n ? input[i + 1] : a;
      out[k++] = Math.round(a + (b - a) * frac);
      p += this.step;
    }
    this.pos = p - n;
    this.last = input[n - 1];
    return k === out.length ? out : out.subarray(0, k);
  }
}
