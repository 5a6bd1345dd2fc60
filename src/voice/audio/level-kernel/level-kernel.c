// The per-frame loops of the AGC and the energy VAD (wasm32 + SIMD128). Built by
// scripts/build-wasm-kernels.sh into level-wasm.ts; level-kernel.ts owns the buffers.
//
// Each result is exactly what the plain JavaScript loop computes: sums of squares are
// integers (exact in int64, then in a double), and the gain ramp is the same IEEE double
// arithmetic, floor(x * (start + i * step) + 0.5), two lanes at a time.
#include <stdint.h>
#include <wasm_simd128.h>

#define BLOCK 4096
#define EXPORT(name) __attribute__((export_name(#name)))
static int16_t input[BLOCK] __attribute__((aligned(16)));
static int16_t output[BLOCK] __attribute__((aligned(16)));
static int32_t peak_value;
// Sums go out through memory, not as a return value: a double returned to JavaScript above
// 2^31 (any frame of speech) is boxed in a fresh HeapNumber, an allocation per call.
static double sum_value;

EXPORT(input_ptr) int16_t *input_ptr(void) { return input; }
EXPORT(output_ptr) int16_t *output_ptr(void) { return output; }
EXPORT(block_samples) int32_t block_samples(void) { return BLOCK; }
EXPORT(last_peak) int32_t last_peak(void) { return peak_value; }
EXPORT(sum_ptr) double *sum_ptr(void) { return &sum_value; }

// Squares summed in pairs (i32x4.dot) fit in uint32 even at -32768, so they widen unsigned.
static inline v128_t add_squares(v128_t acc, v128_t x) {
  v128_t pairs = wasm_i32x4_dot_i16x8(x, x);
  acc = wasm_i64x2_add(acc, wasm_u64x2_extend_low_u32x4(pairs));
  return wasm_i64x2_add(acc, wasm_u64x2_extend_high_u32x4(pairs));
}

static inline double total(v128_t acc) {
  return (double)(wasm_i64x2_extract_lane(acc, 0) + wasm_i64x2_extract_lane(acc, 1));
}

// Sum of squares of input[0..n), into sum_value.
EXPORT(sum_squares)
void sum_squares(int32_t n) {
  v128_t acc = wasm_i64x2_splat(0);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) acc = add_squares(acc, wasm_v128_load(input + i));
  int64_t tail = 0;
  for (; i < n; i++) tail += (int32_t)input[i] * input[i];
  sum_value = total(acc) + (double)tail;
}

// Sum of squares of input[0..n) into sum_value, and its peak |sample| (read with last_peak()).
EXPORT(scan)
void scan(int32_t n) {
  v128_t acc = wasm_i64x2_splat(0), hi = wasm_i16x8_splat(0), lo = hi;
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t x = wasm_v128_load(input + i);
    acc = add_squares(acc, x);
    hi = wasm_i16x8_max(hi, x);
    lo = wasm_i16x8_min(lo, x);
  }
  int32_t max = 0, min = 0;
  for (int32_t k = 0; k < 8; k++) {
    int32_t h = ((int16_t *)&hi)[k], l = ((int16_t *)&lo)[k];
    if (h > max) max = h;
    if (l < min) min = l;
  }
  int64_t tail = 0;
  for (; i < n; i++) {
    int32_t s = input[i];
    tail += s * s;
    if (s > max) max = s;
    if (s < min) min = s;
  }
  peak_value = max > -min ? max : -min;
  sum_value = total(acc) + (double)tail;
}

static inline int16_t ramp_one(int16_t x, double g) {
  double v = __builtin_floor((double)x * g + 0.5);
  return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

// output[i] = floor(input[i] * (start + i * step) + 0.5), saturated to int16 (the caller's
// peak limit keeps it in range; saturation only guards the last half unit).
EXPORT(apply_ramp)
void apply_ramp(int32_t n, double start, double step) {
  const v128_t half = wasm_f64x2_splat(0.5), first = wasm_f64x2_splat(start), slope = wasm_f64x2_splat(step);
  const v128_t eight = wasm_f64x2_splat(8);
  // Sample indexes as doubles (exact), so each gain is start + i * step as in the scalar loop.
  v128_t i0 = wasm_f64x2_make(0, 1), i1 = wasm_f64x2_make(2, 3), i2 = wasm_f64x2_make(4, 5), i3 = wasm_f64x2_make(6, 7);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t x = wasm_v128_load(input + i);
    v128_t a = wasm_i32x4_extend_low_i16x8(x), b = wasm_i32x4_extend_high_i16x8(x);
#define RAMP(xs, idx) wasm_i32x4_trunc_sat_f64x2_zero(wasm_f64x2_floor(wasm_f64x2_add( \
      wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(xs), wasm_f64x2_add(first, wasm_f64x2_mul(idx, slope))), half)))
    v128_t r0 = RAMP(a, i0), r1 = RAMP(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1), i1);
    v128_t r2 = RAMP(b, i2), r3 = RAMP(wasm_i32x4_shuffle(b, b, 2, 3, 0, 1), i3);
#undef RAMP
    v128_t lo = wasm_i32x4_shuffle(r0, r1, 0, 1, 4, 5), hi = wasm_i32x4_shuffle(r2, r3, 0, 1, 4, 5);
    wasm_v128_store(output + i, wasm_i16x8_narrow_i32x4(lo, hi));
    i0 = wasm_f64x2_add(i0, eight);
    i1 = wasm_f64x2_add(i1, eight);
    i2 = wasm_f64x2_add(i2, eight);
    i3 = wasm_f64x2_add(i3, eight);
  }
  for (; i < n; i++) output[i] = ramp_one(input[i], start + (double)i * step);
}
