/**
 * Streaming MFCCs (mel-frequency cepstral coefficients), the classic compact description of
 * a voice's spectral envelope: 25 ms Hamming windows every 10 ms, pre-emphasis, a mel
 * filterbank up to 8 kHz, log, DCT. c0 (loudness) is left out so a speaker does not change
 * by talking louder. Buffers are allocated once; `push` calls back with a view that is
 * reused for the next hop.
 */
export interface MfccOptions {
  sampleRate: number;
  /** Coefficients c1..cN. Default 12. */
  coefficients?: number;
  /** Mel filters. Default 24. */
  filters?: number;
  windowMs?: number;
  hopMs?: number;
}

export class MfccExtractor {
  readonly hopSamples: number;
  readonly dimensions: number;
  private readonly windowSamples: number;
  private readonly fftSize: number;
  private readonly window: Float64Array;
  private readonly ring: Float64Array;
  private ringFill = 0;
  private ringAt = 0; // next write position once the ring is full (its oldest sample)
  private sinceHop = 0;
  private lastSample = 0;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly melBank: { start: number; weights: Float64Array }[];
  private readonly logMel: Float64Array;
  private readonly dct: Float64Array[];
  private readonly out: Float64Array;
  private energyDb = Number.NEGATIVE_INFINITY;
  private pitchHz = 0;
  private readonly ordered: Float64Array;
  private readonly sampleRate: number;

  constructor(opts: MfccOptions) {
    const rate = opts.sampleRate;
    this.windowSamples = Math.round((rate * (opts.windowMs ?? 25)) / 1000);
    this.hopSamples = Math.round((rate * (opts.hopMs ?? 10)) / 1000);
    this.fftSize = 2 ** Math.ceil(Math.log2(this.windowSamples));
    this.window = new Float64Array(this.windowSamples);
    for (let i = 0; i < this.windowSamples; i++) {
      this.window[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (this.windowSamples - 1));
    }
    this.ring = new Float64Array(this.windowSamples);
    this.ordered = new Float64Array(this.windowSamples);
    this.sampleRate = rate;
    this.re = new Float64Array(this.fftSize);
    this.im = new Float64Array(this.fftSize);
    const filters = opts.filters ?? 24;
    this.melBank = melFilterbank(filters, this.fftSize, rate, 100, Math.min(8000, rate / 2));
    this.logMel = new Float64Array(filters);
    this.dimensions = opts.coefficients ?? 12;
    this.dct = [];
    for (let k = 1; k <= this.dimensions; k++) {
      const row = new Float64Array(filters);
      for (let m = 0; m < filters; m++) row[m] = Math.cos((Math.PI * k * (m + 0.5)) / filters);
      this.dct.push(row);
    }
    this.out = new Float64Array(this.dimensions);
  }

  /** The level of the last hop's window, in dBFS (for a speech gate). */
  get lastEnergyDb(): number {
    return this.energyDb;
  }

  /** The pitch of the last hop's window in Hz, or 0 when it was not voiced. */
  get lastPitchHz(): number {
    return this.pitchHz;
  }

  /** Feeds samples; calls `onFeatures` once per completed hop with that window's MFCCs. */
  push(
    samples: Int16Array,
    onFeatures: (mfcc: Float64Array, energyDb: number, pitchHz: number) => void,
  ): void {
    const n = this.windowSamples;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i] / 32768;
      // Pre-emphasis lifts the high frequencies, where voices differ most.
      const y = x - 0.97 * this.lastSample;
      this.lastSample = x;
      if (this.ringFill < n) this.ring[this.ringFill++] = y;
      else {
        this.ring[this.ringAt] = y;
        this.ringAt = this.ringAt + 1 === n ? 0 : this.ringAt + 1;
      }
      if (++this.sinceHop >= this.hopSamples && this.ringFill === n) {
        this.sinceHop = 0;
        this.compute();
        onFeatures(this.out, this.energyDb, this.pitchHz);
      }
    }
  }

  reset(): void {
    this.ringFill = 0;
    this.ringAt = 0;
    this.sinceHop = 0;
    this.lastSample = 0;
  }

  private compute(): void {
    const { re, im, ring, window } = this;
    const n = ring.length;
    let energy = 0;
    for (let i = 0; i < this.fftSize; i++) {
      if (i < n) {
        const x = ring[(this.ringAt + i) % n]; // oldest first
        this.ordered[i] = x;
        re[i] = x * window[i];
        energy += x * x;
      } else re[i] = 0;
      im[i] = 0;
    }
    this.energyDb = 10 * Math.log10(energy / ring.length + 1e-12);
    this.pitchHz = pitch(this.ordered, this.sampleRate);
    fft(re, im);
    for (let m = 0; m < this.melBank.length; m++) {
      const { start, weights } = this.melBank[m];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        const bin = start + k;
        sum += weights[k] * (re[bin] * re[bin] + im[bin] * im[bin]);
      }
      this.logMel[m] = Math.log(sum + 1e-10);
    }
    for (let k = 0; k < this.dimensions; k++) {
      const row = this.dct[k];
      let c = 0;
      for (let m = 0; m < row.length; m++) c += row[m] * this.logMel[m];
      this.out[k] = c;
    }
  }
}

/**
 * The fundamental frequency (70-400 Hz) by normalized autocorrelation, or 0 for a window
 * that is not clearly periodic (unvoiced sounds, noise). Pitch is what most separates a
 * man's voice from a woman's, and it does not depend on the microphone's coloration.
 */
export function pitch(x: Float64Array, rate: number): number {
  const minLag = Math.floor(rate / 400);
  const maxLag = Math.min(x.length - 32, Math.ceil(rate / 70));
  const r = new Float64Array(maxLag + 2);
  let best = 0;
  for (let lag = minLag; lag <= maxLag + 1; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i + lag < x.length; i++) {
      const a = x[i];
      const b = x[i + lag];
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    r[lag] = xy / Math.sqrt(xx * yy + 1e-20);
    if (lag <= maxLag && r[lag] > best) best = r[lag];
  }
  if (best < 0.45) return 0; // weaker periodicity than this is not voiced
  // The shortest lag that is a peak nearly as strong as the best: two or three periods
  // correlate about as well as one, and picking them would halve the pitch.
  for (let lag = minLag + 1; lag <= maxLag; lag++) {
    if (r[lag] >= 0.85 * best && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) return rate / lag;
  }
  return 0;
}

function mel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

function hzOfMel(m: number): number {
  return 700 * (10 ** (m / 2595) - 1);
}

/** Triangular filters evenly spaced on the mel scale, as (first bin, weights) pairs. */
function melFilterbank(count: number, fftSize: number, rate: number, lowHz: number, highHz: number) {
  const lo = mel(lowHz);
  const hi = mel(highHz);
  const bins: number[] = [];
  for (let i = 0; i < count + 2; i++) {
    bins.push(Math.floor(((fftSize + 1) * hzOfMel(lo + ((hi - lo) * i) / (count + 1))) / rate));
  }
  const bank: { start: number; weights: Float64Array }[] = [];
  for (let m = 1; m <= count; m++) {
    const [left, center, right] = [bins[m - 1], bins[m], bins[m + 1]];
    const weights = new Float64Array(Math.max(1, right - left + 1));
    for (let k = left; k <= right; k++) {
      const w =
        k < center ? (k - left) / Math.max(1, center - left) : (right - k) / Math.max(1, right - center);
      weights[k - left] = Math.max(0, w);
    }
    bank.push({ start: left, weights });
  }
  return bank;
}

/** In-place radix-2 complex FFT (length a power of two). */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const a = step * k;
        const wr = Math.cos(a);
        const wi = Math.sin(a);
        const i = start + k;
        const j = i + size / 2;
        const tr = wr * re[j] - wi * im[j];
        const ti = wr * im[j] + wi * re[j];
        re[j] = re[i] - tr;
        im[j] = im[i] - ti;
        re[i] += tr;
        im[i] += ti;
      }
    }
  }
}
