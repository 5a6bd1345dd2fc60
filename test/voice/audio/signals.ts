/**
 * Synthetic test signals and measurements. Deterministic (seeded noise) so every run sees
 * the same samples.
 */

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sine(freq: number, rate: number, ms: number, amplitude = 10000, phase = 0): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

/** Uniform white noise with the given peak amplitude. */
export function noise(rate: number, ms: number, amplitude = 3000, seed = 1): Int16Array {
  const random = seededRandom(seed);
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((random() * 2 - 1) * amplitude);
  return out;
}

export function silence(rate: number, ms: number): Int16Array {
  return new Int16Array(Math.round((rate * ms) / 1000));
}

/** A DTMF pair, each tone at `amplitude`. */
export function dtmfTone(low: number, high: number, rate: number, ms: number, amplitude = 8000): Int16Array {
  const a = sine(low, rate, ms, amplitude);
  const b = sine(high, rate, ms, amplitude);
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/**
 * Speech-like voiced sound: a harmonic series on a wandering pitch (f0 around `f0` Hz)
 * with a 4 Hz syllable envelope, so it has speech's spectral shape and modulation.
 */
export function voiced(
  rate: number,
  ms: number,
  opts: { f0?: number; amplitude?: number; seed?: number } = {},
) {
  const f0 = opts.f0 ?? 140;
  const amplitude = opts.amplitude ?? 6000;
  const random = seededRandom(opts.seed ?? 7);
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const pitch = f0 * (1 + 0.08 * Math.sin(2 * Math.PI * 3 * t));
    phase += (2 * Math.PI * pitch) / rate;
    let v = 0;
    for (let h = 1; h <= 20 && h * pitch < rate / 2; h++) v += Math.sin(h * phase) / h;
    const envelope = 0.7 + 0.3 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = Math.round(amplitude * 0.5 * v * envelope + (random() - 0.5) * amplitude * 0.02);
  }
  return out;
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function scale(samples: Int16Array, factor: number): Int16Array {
  return Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * factor))));
}

/** Goertzel power at `freq` (normalised so a sine of amplitude A reads about A^2 / 4). */
export function goertzelPower(samples: ArrayLike<number>, freq: number, rate: number): number {
  const c = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const n = samples.length;
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
}

/** Frequency estimate from positive-going zero crossings. */
export function zeroCrossingFrequency(samples: Int16Array, rate: number): number {
  let crossings = 0;
  let first = -1;
  let last = -1;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      crossings++;
      if (first < 0) first = i;
      last = i;
    }
  }
  return crossings > 1 ? ((crossings - 1) * rate) / (last - first) : 0;
}

export function energy(samples: Int16Array, from = 0, to = samples.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += samples[i] * samples[i];
  return e;
}

/** Splits into frames of `frameMs` (views, not copies). */
export function frames(samples: Int16Array, rate: number, frameMs = 20): Int16Array[] {
  const size = Math.round((rate * frameMs) / 1000);
  const out: Int16Array[] = [];
  for (let i = 0; i + size <= samples.length; i += size) out.push(samples.subarray(i, i + size));
  return out;
}

/** Interleaves two mono signals into stereo. */
export function interleave(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

/** What a microphone hears when `reference` plays: 30 ms later at half level, plus a short reflection. */
export function echoOf(reference: Int16Array, delayMs = 30, rate = 16000): Int16Array {
  const d = Math.round((rate * delayMs) / 1000);
  const out = new Int16Array(reference.length);
  for (let i = 0; i < reference.length; i++) {
    const a = i - d >= 0 ? reference[i - d] : 0;
    const b = i - d - 40 >= 0 ? reference[i - d - 40] : 0;
    out[i] = Math.round(0.5 * a + 0.2 * b);
  }
  return out;
}
