/** Test signals and measurements for codec and media tests. */
export { concat } from '../../voice/audio/signals.js';
export function tone(freq: number, rate: number, samples: number, amp = 8000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** Power of `freq` in `x` (Goertzel), relative to full scale, in dB. */
export function powerAt(x: Int16Array, freq: number, rate: number): number {
  const k = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const amp = (2 * Math.sqrt(Math.max(0, power))) / x.length;
  return 20 * Math.log10(Math.max(amp, 1e-9) / 32768);
}

/** Best SNR of `y` against `x` over small delays (codecs add a few samples of delay). */
export function snrDb(
  x: Int16Array,
  y: Int16Array,
  maxDelay = 64,
  skip = 400,
): { snr: number; delay: number } {
  let best = { snr: Number.NEGATIVE_INFINITY, delay: 0 };
  for (let d = 0; d <= maxDelay; d++) {
    let signal = 0;
    let noise = 0;
    for (let i = skip; i + d < y.length && i < x.length; i++) {
      signal += x[i] * x[i];
      const e = x[i] - y[i + d];
      noise += e * e;
    }
    const snr = 10 * Math.log10(signal / Math.max(noise, 1));
    if (snr > best.snr) best = { snr, delay: d };
  }
  return best;
}
