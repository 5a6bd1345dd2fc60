/**
 * ITU-T G.722 (7 kHz wideband, SB-ADPCM) at 64 kbit/s, encoder and decoder.
 *
 * 16 kHz PCM is split by a 24-tap quadrature mirror filter (QMF) into a low band
 * (0-4 kHz) and a high band (4-8 kHz), each at 8 kHz. The low band is ADPCM-coded with 6
 * bits, the high band with 2; each output byte is `high << 6 | low`, so one byte per input
 * sample pair. Both bands adapt a 2-pole/6-zero predictor and a log-domain quantizer scale
 * (blocks 1-6 of the Recommendation; names in comments follow its block names).
 *
 * Written from the Recommendation's block description, integer arithmetic throughout
 * (so the decoder tracks the encoder exactly). No maintained npm package implements it.
 * Only the 64 kbit/s mode is used on RTP (RFC 3551: "G722", clock 8000 despite 16 kHz audio).
 */

// Transmit and receive QMF coefficients (the 24 taps are symmetric: 12 given).
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

// Low band quantizer: decision levels (Q6), and codes for negative/positive errors.
const Q6 = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN = [
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
  6, 5, 4, 0,
];
const ILP = [
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
  35, 34, 33, 32, 0,
];
// Inverse quantizers: 4-bit (predictor feedback) and 6-bit (low band output), 2-bit high band.
const QM4 = [
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
];
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688,
  -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432,
  -136,
];
const QM2 = [-7408, -1616, 7408, 1616];
// Log scale factor adaptation (WL/WH multipliers, RL42/RH2 code maps) and the antilog table.
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

function sat16(v: number): number {
  return v > 32767 ? 32767 : Math.max(v, -32768);
}

/** The adaptive predictor and scale state of one sub-band (identical in encoder and decoder). */
class Band {
  s = 0; // signal estimate
  sp = 0; // pole section
  sz = 0; // zero section
  nb = 0; // log scale factor
  det: number; // quantizer scale
  readonly r = [0, 0, 0]; // reconstructed signal history
  readonly a = [0, 0, 0]; // pole coefficients
  readonly ap = [0, 0, 0];
  readonly p = [0, 0, 0]; // partial reconstruction history
  readonly d = [0, 0, 0, 0, 0, 0, 0]; // quantized difference history
  readonly b = [0, 0, 0, 0, 0, 0, 0]; // zero coefficients
  readonly bp = [0, 0, 0, 0, 0, 0, 0];
  readonly sg = [0, 0, 0, 0, 0, 0, 0];

  constructor(det: number) {
    this.det = det;
  }

  /** Blocks 3L/3H: adapt the log scale factor, then SCALEL/SCALEH. */
  adaptScale(weight: number, limit: number, shiftBase: number): void {
    let nb = ((this.nb * 127) >> 7) + weight;
    if (nb < 0) nb = 0;
    else if (nb > limit) nb = limit;
    this.nb = nb;
    const wd1 = (nb >> 6) & 31;
    const wd2 = shiftBase - (nb >> 11);
    const wd3 = wd2 < 0 ? ILB[wd1] << -wd2 : ILB[wd1] >> wd2;
    this.det = wd3 << 2;
  }

  /** Block 4: reconstruct, adapt the pole and zero predictors, compute the next estimate. */
  update(d: number): void {
    const { r, a, ap, p, b, bp, sg } = this;
    const dh = this.d;
    // RECONS, PARREC
    dh[0] = d;
    r[0] = sat16(this.s + d);
    p[0] = sat16(this.sz + d);
    // UPPOL2
    for (let i = 0; i < 3; i++) sg[i] = p[i] >> 15;
    const wd1 = sat16(a[1] << 2);
    let wd2 = sg[0] === sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg[0] === sg[2] ? 128 : -128);
    wd3 += (a[2] * 32512) >> 15;
    ap[2] = wd3 > 12288 ? 12288 : Math.max(wd3, -12288);
    // UPPOL1
    const w1 = sg[0] === sg[1] ? 192 : -192;
    ap[1] = sat16(w1 + ((a[1] * 32640) >> 15));
    const bound = sat16(15360 - ap[2]);
    if (ap[1] > bound) ap[1] = bound;
    else if (ap[1] < -bound) ap[1] = -bound;
    // UPZERO
    const step = d === 0 ? 0 : 128;
    sg[0] = d >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = dh[i] >> 15;
      const inc = sg[i] === sg[0] ? step : -step;
      bp[i] = sat16(inc + ((b[i] * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      dh[i] = dh[i - 1];
      b[i] = bp[i];
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1];
      p[i] = p[i - 1];
      a[i] = ap[i];
    }
    // FILTEP, FILTEZ, PREDIC
    const e1 = (a[1] * sat16(r[1] + r[1])) >> 15;
    const e2 = (a[2] * sat16(r[2] + r[2])) >> 15;
    this.sp = sat16(e1 + e2);
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i] * sat16(dh[i] + dh[i])) >> 15;
    this.sz = sat16(sz);
    this.s = sat16(this.sp + this.sz);
  }
}

/** Streaming G.722 encoder: 16 kHz PCM in (an even number of samples per call), one byte per 2 samples out. */
export class G722Encoder {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24); // QMF delay line
  private odd: number | undefined; // a trailing sample waiting for its pair

  encode(pcm: Int16Array): Uint8Array {
    const total = pcm.length + (this.odd === undefined ? 0 : 1);
    const out = new Uint8Array(total >> 1);
    let j = 0;
    let n = 0;
    let first = this.odd;
    this.odd = undefined;
    while (n < out.length) {
      const s0 = first ?? pcm[j++];
      first = undefined;
      const s1 = pcm[j++];
      out[n++] = this.encodePair(s0, s1);
    }
    if (j < pcm.length) this.odd = pcm[j];
    return out;
  }

  private encodePair(s0: number, s1: number): number {
    const x = this.x;
    // Transmit QMF: split into low and high band samples at 8 kHz.
    x.copyWithin(0, 2);
    x[22] = s0;
    x[23] = s1;
    let sumOdd = 0;
    let sumEven = 0;
    for (let i = 0; i < 12; i++) {
      sumOdd += x[2 * i] * QMF[i];
      sumEven += x[2 * i + 1] * QMF[11 - i];
    }
    // >> 14 keeps full-scale input inside the bands' 15-bit range (the decoder gains it back).
    const xlow = (sumEven + sumOdd) >> 14;
    const xhigh = (sumEven - sumOdd) >> 14;
    const ilow = this.encodeLow(xlow);
    const ihigh = this.encodeHigh(xhigh);
    return ((ihigh << 6) | ilow) & 0xff;
  }

  private encodeLow(xlow: number): number {
    const band = this.low;
    // SUBTRA, QUANTL
    const el = sat16(xlow - band.s);
    const mag = el >= 0 ? el : -(el + 1);
    let i = 1;
    for (; i < 30; i++) if (mag < (Q6[i] * band.det) >> 12) break;
    const ilow = el < 0 ? ILN[i] : ILP[i];
    // INVQAL (4-bit, for the predictor), LOGSCL, SCALEL
    const ril = ilow >> 2;
    const dlow = (band.det * QM4[ril]) >> 15;
    band.adaptScale(WL[RL42[ril]], 18432, 8);
    band.update(dlow);
    return ilow;
  }

  private encodeHigh(xhigh: number): number {
    const band = this.high;
    // SUBTRA, QUANTH
    const eh = sat16(xhigh - band.s);
    const mag = eh >= 0 ? eh : -(eh + 1);
    const mih = mag >= (564 * band.det) >> 12 ? 2 : 1;
    const ihigh = eh < 0 ? IHN[mih] : IHP[mih];
    // INVQAH, LOGSCH, SCALEH
    const dhigh = (band.det * QM2[ihigh]) >> 15;
    band.adaptScale(WH[RH2[ihigh]], 22528, 10);
    band.update(dhigh);
    return ihigh;
  }
}

/** Streaming G.722 decoder: each byte becomes two 16 kHz samples. */
export class G722Decoder {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24);

  decode(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length * 2)): Int16Array {
    const x = this.x;
    for (let j = 0; j < codes.length; j++) {
      const code = codes[j];
      const rlow = this.decodeLow(code & 0x3f);
      const rhigh = this.decodeHigh((code >> 6) & 0x03);
      // Receive QMF: recombine the bands into two 16 kHz samples.
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[2 * i] * QMF[i];
        xout1 += x[2 * i + 1] * QMF[11 - i];
      }
      out[2 * j] = sat16(xout1 >> 11);
      out[2 * j + 1] = sat16(xout2 >> 11);
    }
    return out;
  }

  private decodeLow(ilow: number): number {
    const band = this.low;
    // INVQBL (6-bit output), RECONS, LIMIT
    const dl6 = (band.det * QM6[ilow]) >> 15;
    let rlow = band.s + dl6;
    if (rlow > 16383) rlow = 16383;
    else if (rlow < -16384) rlow = -16384;
    // INVQAL (4-bit, predictor), LOGSCL, SCALEL
    const ril = ilow >> 2;
    const dlow = (band.det * QM4[ril]) >> 15;
    band.adaptScale(WL[RL42[ril]], 18432, 8);
    band.update(dlow);
    return rlow;
  }

  private decodeHigh(ihigh: number): number {
    const band = this.high;
    const dhigh = (band.det * QM2[ihigh]) >> 15;
    let rhigh = band.s + dhigh;
    if (rhigh > 16383) rhigh = 16383;
    else if (rhigh < -16384) rhigh = -16384;
    band.adaptScale(WH[RH2[ihigh]], 22528, 10);
    band.update(dhigh);
    return rhigh;
  }
}
