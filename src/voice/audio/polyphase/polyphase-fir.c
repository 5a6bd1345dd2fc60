// Polyphase FIR resampler kernel (wasm32 + SIMD128). Built by scripts/build-wasm-kernels.sh
// into polyphase-wasm.ts; polyphase-resampler.ts owns the memory layout and calls it.
//
// Conversion by L/M (up by L, down by M): output n sits at t = n*M on the L-times-upsampled
// time axis; its newest input sample is i = t / L and its filter phase p = t % L, so
//   y[n] = sum_j g_p[j] * x[i - K + 1 + j]
// where g_p holds phase p's K taps reversed (and scaled by L), so the sum runs over an
// ascending window of the input: four taps per SIMD multiply, four outputs per pass.
#include <stdint.h>
#include <wasm_simd128.h>

typedef struct {
  int32_t L, M, K;   // phases, decimation, taps per phase (multiple of 4)
  int32_t t;         // the next output's position, upsampled units, from hist[0]
  int32_t filled;    // samples held in hist
  float *coefs;      // L * K taps: phase p at coefs + p * K
  float *hist;       // the last K - 1 samples, then the new block
} polyphase_t;

// acc + c * x, four lanes (a multiply, then an add: SIMD128 has no fused form).
static inline v128_t madd(v128_t acc, v128_t c, v128_t x) {
  return wasm_f32x4_add(acc, wasm_f32x4_mul(c, x));
}

static inline float hsum(v128_t a) {
  v128_t s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

static inline int16_t to_int16(float v) {
  v += v >= 0 ? 0.5f : -0.5f;
  if (v >= 32767.f) return 32767;
  if (v <= -32768.f) return -32768;
  return (int16_t)v;
}

// Four outputs at once: the four sums (added in hsum's order, so the same bits) rounded half
// away from zero and saturated like to_int16, in a few vector operations instead of four
// scalar reductions and four branchy conversions.
static inline void store4(int16_t *out, v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t s01 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t s23 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  v128_t sum = wasm_f32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
  // +-0.5 with the sum's sign, then truncation: round half away from zero.
  v128_t half = wasm_v128_or(wasm_v128_and(sum, wasm_i32x4_splat((int32_t)0x80000000)), wasm_f32x4_splat(0.5f));
  v128_t whole = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(sum, half));
  wasm_v128_store64_lane(out, wasm_i16x8_narrow_i32x4(whole, whole), 0);
}

static inline float dot(const float *g, const float *x, int32_t K) {
  v128_t a = wasm_f32x4_splat(0);
  for (int32_t k = 0; k < K; k += 4) a = madd(a, wasm_v128_load(g + k), wasm_v128_load(x + k));
  return hsum(a);
}

// Pure decimation (L == 1): every output uses the same taps, so one load of them serves four.
static int32_t decimate(polyphase_t *s, int16_t *out) {
  const int32_t K = s->K, M = s->M, f = s->filled;
  const float *g = s->coefs, *h = s->hist;
  int32_t start = s->t - K + 1, o = 0;  // window start of the next output
  for (; start + 3 * M + K <= f; start += 4 * M) {
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    const float *x = h + start;
    for (int32_t k = 0; k < K; k += 4) {
      v128_t c = wasm_v128_load(g + k);
      a0 = madd(a0, c, wasm_v128_load(x + k));
      a1 = madd(a1, c, wasm_v128_load(x + M + k));
      a2 = madd(a2, c, wasm_v128_load(x + 2 * M + k));
      a3 = madd(a3, c, wasm_v128_load(x + 3 * M + k));
    }
    store4(out + o, a0, a1, a2, a3);
    o += 4;
  }
  for (; start + K <= f; start += M) out[o++] = to_int16(dot(g, h + start, K));
  s->t = start + K - 1;
  return o;
}

// Pure interpolation (M == 1): the L outputs of one input position share its window, so
// each window load serves every phase. L is a constant in each caller, so `acc` lives in registers.
static inline __attribute__((always_inline)) int32_t interpolate(polyphase_t *s, int16_t *out, const int32_t L) {
  const int32_t K = s->K, f = s->filled;
  const float *h = s->hist - (K - 1);
  int32_t t = s->t, o = 0;
  // Finish the position a previous call left part-way.
  for (; t % L != 0 && t / L < f; t++) out[o++] = to_int16(dot(s->coefs + (t % L) * K, h + t / L, K));
  int32_t i = t / L;
  // Up by two (8 -> 16 kHz, the phone lines' path): two positions per pass make four outputs,
  // and each tap load serves both positions.
  if (L == 2) {
    for (; i + 1 < f; i += 2) {
      v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
      const float *x = h + i;
      for (int32_t k = 0; k < K; k += 4) {
        v128_t c0 = wasm_v128_load(s->coefs + k), c1 = wasm_v128_load(s->coefs + K + k);
        v128_t x0 = wasm_v128_load(x + k), x1 = wasm_v128_load(x + 1 + k);
        a0 = madd(a0, c0, x0);
        a1 = madd(a1, c1, x0);
        a2 = madd(a2, c0, x1);
        a3 = madd(a3, c1, x1);
      }
      store4(out + o, a0, a1, a2, a3);
      o += 4;
      t += 4;
    }
  }
  // Up by three (16 -> 48 kHz, toward WebRTC's Opus): four positions per pass, twelve outputs.
  if (L == 3) {
    for (; i + 3 < f; i += 4) {
      v128_t acc[12];  // position q, phase p at acc[q * 3 + p]: the outputs' order
      for (int32_t j = 0; j < 12; j++) acc[j] = wasm_f32x4_splat(0);
      const float *x = h + i;
      for (int32_t k = 0; k < K; k += 4) {
        v128_t c0 = wasm_v128_load(s->coefs + k), c1 = wasm_v128_load(s->coefs + K + k);
        v128_t c2 = wasm_v128_load(s->coefs + 2 * K + k);
        for (int32_t q = 0; q < 4; q++) {
          v128_t v = wasm_v128_load(x + q + k);
          acc[q * 3] = madd(acc[q * 3], c0, v);
          acc[q * 3 + 1] = madd(acc[q * 3 + 1], c1, v);
          acc[q * 3 + 2] = madd(acc[q * 3 + 2], c2, v);
        }
      }
      for (int32_t j = 0; j < 12; j += 4) store4(out + o + j, acc[j], acc[j + 1], acc[j + 2], acc[j + 3]);
      o += 12;
      t += 12;
    }
  }
  for (; i < f; i++) {
    v128_t acc[6];
    for (int32_t p = 0; p < L; p++) acc[p] = wasm_f32x4_splat(0);
    const float *x = h + i;
    for (int32_t k = 0; k < K; k += 4) {
      v128_t v = wasm_v128_load(x + k);
      for (int32_t p = 0; p < L; p++) acc[p] = madd(acc[p], wasm_v128_load(s->coefs + p * K + k), v);
    }
    int32_t p = 0;
    for (; p + 4 <= L; p += 4, o += 4) store4(out + o, acc[p], acc[p + 1], acc[p + 2], acc[p + 3]);
    for (; p < L; p++) out[o++] = to_int16(hsum(acc[p]));
    t += L;
  }
  s->t = t;
  return o;
}

// The next output's input position and phase: on by M upsampled steps, without dividing.
static inline void advance(int32_t *i, int32_t *p, const int32_t L, const int32_t M) {
  *p += M;
  while (*p >= L) {
    *p -= L;
    (*i)++;
  }
}

// Any other L/M (3/2, 2/3): each output has its own phase and window. Four outputs per pass,
// so four independent sums are in flight (one alone waited on the adder's latency: 24 -> 16 kHz
// cost as much per frame as 48 -> 16 kHz with half the multiply-adds).
static int32_t resample(polyphase_t *s, int16_t *out) {
  const int32_t L = s->L, M = s->M, K = s->K, f = s->filled;
  const float *h = s->hist - (K - 1);
  const float *coefs = s->coefs;
  int32_t i = s->t / L, p = s->t % L, o = 0;
  for (;;) {
    int32_t i1 = i, p1 = p;
    advance(&i1, &p1, L, M);
    int32_t i2 = i1, p2 = p1;
    advance(&i2, &p2, L, M);
    int32_t i3 = i2, p3 = p2;
    advance(&i3, &p3, L, M);
    if (i3 >= f) break;
    const float *x0 = h + i, *x1 = h + i1, *x2 = h + i2, *x3 = h + i3;
    const float *g0 = coefs + p * K, *g1 = coefs + p1 * K, *g2 = coefs + p2 * K, *g3 = coefs + p3 * K;
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (int32_t k = 0; k < K; k += 4) {
      a0 = madd(a0, wasm_v128_load(g0 + k), wasm_v128_load(x0 + k));
      a1 = madd(a1, wasm_v128_load(g1 + k), wasm_v128_load(x1 + k));
      a2 = madd(a2, wasm_v128_load(g2 + k), wasm_v128_load(x2 + k));
      a3 = madd(a3, wasm_v128_load(g3 + k), wasm_v128_load(x3 + k));
    }
    store4(out + o, a0, a1, a2, a3);
    o += 4;
    i = i3;
    p = p3;
    advance(&i, &p, L, M);
  }
  while (i < f) {
    out[o++] = to_int16(dot(coefs + p * K, h + i, K));
    advance(&i, &p, L, M);
  }
  s->t = i * L + p;
  return o;
}

// Appends n samples and writes every output they complete; returns how many.
__attribute__((export_name("polyphase_process")))
int32_t polyphase_process(polyphase_t *s, const int16_t *in, int32_t n, int16_t *out) {
  float *h = s->hist + s->filled;
  for (int32_t i = 0; i < n; i++) h[i] = in[i];
  s->filled += n;
  int32_t produced = s->L == 1   ? decimate(s, out)
                     : s->M != 1 ? resample(s, out)
                     : s->L == 2 ? interpolate(s, out, 2)
                     : s->L == 3 ? interpolate(s, out, 3)
                     : s->L == 6 ? interpolate(s, out, 6)
                                 : resample(s, out);
  // Keep the K - 1 samples before the next output's newest one.
  int32_t drop = s->t / s->L - (s->K - 1);
  if (drop > 0) {
    int32_t keep = s->filled - drop;
    for (int32_t i = 0; i < keep; i++) s->hist[i] = s->hist[drop + i];
    s->filled = keep;
    s->t -= drop * s->L;
  }
  return produced;
}

// Silence as history: the first output's newest sample is the first input sample.
__attribute__((export_name("polyphase_reset")))
void polyphase_reset(polyphase_t *s) {
  for (int32_t i = 0; i < s->K - 1; i++) s->hist[i] = 0;
  s->filled = s->K - 1;
  s->t = (s->K - 1) * s->L;
}
