/*
 * Helpers of the DSP-extension kernel variants (Armv7E-M, Armv8-M Mainline with DSP): inline
 * requantization, the int8 -> int16 "column" a pixel's window is widened into once, and SMLAD
 * dot products of such a column with int8 filter rows. Not part of the public API.
 *
 * Column layout: each group of 4 int8 taps t0..t3 becomes two words, (t0, t2) and (t1, t3) as
 * int16 lanes with the input offset added (SXTAB16 and SXTAB16 of the word rotated by 8), so that
 * a filter word w0..w3 meets it as SXTB16(w) and SXTB16(ROR(w, 8)) in two SMLADs. A tail of
 * fewer than 4 taps follows, one int32 per tap.
 */
#ifndef FWGEN_NN_DSP_H
#define FWGEN_NN_DSP_H

#include <stdint.h>
#include <string.h>

#ifndef __ARM_FEATURE_DSP
#error "firmware/nn/dsp/ kernels need a core with the DSP extension (Board.dsp)"
#endif
#include <arm_acle.h>

#include "nn/nn.h"

/** Taps a column holds at most (about 2 bytes each on the stack of the calling kernel). */
#define FWGEN_NN_DSP_COL_MAX 1024

/** A 32-bit word from any byte address (the DSP cores load unaligned words natively). */
static inline uint32_t fwgen_nn_dsp_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/** __sxtb16(x rotated right by 8): bytes 1 and 3 as int16 lanes, in one instruction (GCC 12's
 *  arm_acle.h has neither __ror nor a rotate operand, and does not fold one in). */
static inline int32_t fwgen_nn_dsp_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/** __sxtab16(a, x rotated right by 8): a + bytes 1 and 3 of x, lane by lane, in one instruction. */
static inline int32_t fwgen_nn_dsp_sxtab16_ror8(int32_t a, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/** Two words from *p (word-aligned), *p advanced past them: one LDRD with write-back (GCC
 *  splits 64-bit loads into two LDRs on these cores). */
static inline void fwgen_nn_dsp_ldrd(const int32_t **p, int32_t *lo, int32_t *hi)
{
    int32_t a, b;
    const int32_t *q = *p;
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(a), "=&r"(b), "+r"(q) : "m"(*(const int32_t(*)[2])q));
    *p = q;
    *lo = a;
    *hi = b;
}

/** fwgen_nn_requantize() inline, without branches: TFLM's doubling high multiply (round half up
 *  at 2^31: the multiplier is never INT32_MIN, so it never saturates), then its rounding right
 *  shift (half away from zero). Shifts are in [-31, 30] (fwgen.compiler.quant). */
static inline int32_t fwgen_nn_dsp_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = left - shift;
    x = (int32_t)((uint32_t)x << left);
    const int32_t high = (int32_t)(((int64_t)x * multiplier + (1LL << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)high >> 31);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

/** Requantize, add the output offset and clamp: one output byte. */
static inline int8_t fwgen_nn_dsp_output(int32_t acc, int32_t multiplier, int32_t shift,
                                         int32_t output_offset, int32_t act_min, int32_t act_max)
{
    int32_t v = fwgen_nn_dsp_requantize(acc, multiplier, shift) + output_offset;
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

/** Whether every output of a call can take fwgen_nn_dsp_output_rshift(): the `n` shifts are all
 *  right shifts (<= 0, as int8 models' scales give) and the clamp is the whole int8 range (no
 *  fused activation, or RELU with output zero point -128). Checked once per call. */
static inline int fwgen_nn_dsp_rshift_only(const int8_t *shift, int32_t n, int32_t act_min,
                                           int32_t act_max)
{
    if (act_min != -128 || act_max != 127) {
        return 0;
    }
    for (int32_t i = 0; i < n; ++i) {
        if (shift[i] > 0) {
            return 0;
        }
    }
    return 1;
}

/** fwgen_nn_dsp_output() for a right shift (shift <= 0) and the clamp [-128, 127]: no left
 *  shift, the clamp one SSAT; the same arithmetic. */
static inline int8_t fwgen_nn_dsp_output_rshift(int32_t acc, int32_t multiplier, int32_t shift,
                                                int32_t output_offset)
{
    const int32_t right = -shift;
    const int32_t high = (int32_t)(((int64_t)acc * multiplier + (1LL << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)high >> 31);
    const int32_t v = (high >> right) + ((high & mask) > threshold ? 1 : 0) + output_offset;
    return (int8_t)__ssat(v, 8);
}

/** One output byte: fwgen_nn_dsp_output_rshift() where the call allows it (`rshift`, from
 *  fwgen_nn_dsp_rshift_only()), else fwgen_nn_dsp_output(). */
static inline int8_t fwgen_nn_dsp_out(int rshift, int32_t acc, int32_t multiplier, int32_t shift,
                                      int32_t output_offset, int32_t act_min, int32_t act_max)
{
    if (rshift) {
        return fwgen_nn_dsp_output_rshift(acc, multiplier, shift, output_offset);
    }
    return fwgen_nn_dsp_output(acc, multiplier, shift, output_offset, act_min, act_max);
}

/** Words a column of `n` taps takes: two per 4 taps, one per tap of the tail. */
#define FWGEN_NN_DSP_COL_WORDS(n) ((n) / 4 * 2 + (n) % 4)
/** Words a buffer needs for a column of any n <= max taps (n = 4k + 3 takes more than max = 4k + 4). */
#define FWGEN_NN_DSP_COL_WORDS_MAX(max) ((max) / 2 + 3)

/** Widen `n` int8 taps into the column layout with `offset` added to each. */
static inline void fwgen_nn_dsp_widen(const int8_t *src, int32_t n, int32_t offset, int32_t *col)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t x = fwgen_nn_dsp_load4(src + k);
        *col++ = __sxtab16(off2, (int32_t)x);
        *col++ = fwgen_nn_dsp_sxtab16_ror8(off2, x);
    }
    for (; k < n; ++k) {
        *col++ = src[k] + offset;
    }
}

/** acc + the dot product of a widened column of `n` taps with int8 filter row `w`. */
static inline int32_t fwgen_nn_dsp_dot(const int32_t *col, const int8_t *w, int32_t n, int32_t acc)
{
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t f = fwgen_nn_dsp_load4(w + k);
        acc = __smlad(col[0], __sxtb16((int32_t)f), acc);
        acc = __smlad(col[1], fwgen_nn_dsp_sxtb16_ror8(f), acc);
        col += 2;
    }
    for (; k < n; ++k) {
        acc += *col++ * w[k];
    }
    return acc;
}

/** Two filter rows `w0`, `w1` against one column (each column word is loaded once). */
static inline void fwgen_nn_dsp_dot2(const int32_t *col, const int8_t *w0, const int8_t *w1,
                                     int32_t n, int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const int32_t c0 = col[0], c1 = col[1];
        const uint32_t f0 = fwgen_nn_dsp_load4(w0 + k);
        const uint32_t f1 = fwgen_nn_dsp_load4(w1 + k);
        a0 = __smlad(c0, __sxtb16((int32_t)f0), a0);
        a0 = __smlad(c1, fwgen_nn_dsp_sxtb16_ror8(f0), a0);
        a1 = __smlad(c0, __sxtb16((int32_t)f1), a1);
        a1 = __smlad(c1, fwgen_nn_dsp_sxtb16_ror8(f1), a1);
        col += 2;
    }
    for (; k < n; ++k) {
        a0 += *col * w0[k];
        a1 += *col * w1[k];
        ++col;
    }
    *acc0 = a0;
    *acc1 = a1;
}

/** Two filter rows already widened to the column layout (offset 0), `w0` and `w1`, against one
 *  column of `n` taps: SMLAD straight on the words. */
static inline void fwgen_nn_dsp_dot2_wide(const int32_t *col, const int32_t *w0, const int32_t *w1,
                                          int32_t n, int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    const int32_t *end = col + n / 4 * 2;
    while (col < end) {   /* two words at a time: one LDRD with write-back each */
        int32_t c0, c1, x0, x1, y0, y1;
        fwgen_nn_dsp_ldrd(&col, &c0, &c1);
        fwgen_nn_dsp_ldrd(&w0, &x0, &x1);
        fwgen_nn_dsp_ldrd(&w1, &y0, &y1);
        a0 = __smlad(c0, x0, a0);
        a1 = __smlad(c0, y0, a1);
        a0 = __smlad(c1, x1, a0);
        a1 = __smlad(c1, y1, a1);
    }
    for (int32_t k = 0; k < n % 4; ++k) {
        a0 += col[k] * w0[k];
        a1 += col[k] * w1[k];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/** Widen the windows of two pixels into one interleaved column: for each group j of 4 taps,
 *  words 4j..4j+3 are pixel 0's two words then pixel 1's; then one word per tail tap, pixel 0's
 *  then pixel 1's (2 * FWGEN_NN_DSP_COL_WORDS(n) words). */
static inline void fwgen_nn_dsp_widen_pair(const int8_t *src0, const int8_t *src1, int32_t n,
                                           int32_t offset, int32_t *col)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t x0 = fwgen_nn_dsp_load4(src0 + k);
        const uint32_t x1 = fwgen_nn_dsp_load4(src1 + k);
        col[0] = __sxtab16(off2, (int32_t)x0);
        col[1] = fwgen_nn_dsp_sxtab16_ror8(off2, x0);
        col[2] = __sxtab16(off2, (int32_t)x1);
        col[3] = fwgen_nn_dsp_sxtab16_ror8(off2, x1);
        col += 4;
    }
    for (; k < n; ++k) {
        col[0] = src0[k] + offset;
        col[1] = src1[k] + offset;
        col += 2;
    }
}

/** An interleaved two-pixel column (fwgen_nn_dsp_widen_pair) against two filter rows `w0`,
 *  `w1 = w0 + n`: acc[0] += px0.w0, acc[1] += px0.w1, acc[2] += px1.w0, acc[3] += px1.w1.
 *  The groups of 4 taps run in one asm loop of 19 instructions per 16 MACs: each filter word is
 *  loaded and split (SXTB16) once for both pixels, the column words in LDRDs, in the 12
 *  registers there are (GCC's loop took 24, reloading the row stride). */
static inline void fwgen_nn_dsp_dot2x2(const int32_t *col, const int8_t *w0, int32_t n,
                                       int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t groups = n >> 2;
    if (groups > 0) {
        const int32_t row1 = n - 4;   /* w1's word, from w0 already advanced past its own */
        int32_t fe, fo, c0, c1;
        __asm__ volatile("1:\n\t"
                         "ldr    %[fo], [%[w]], #4\n\t"
                         "sxtb16 %[fe], %[fo]\n\t"
                         "sxtb16 %[fo], %[fo], ror #8\n\t"
                         "ldrd   %[c0], %[c1], [%[col]]\n\t"
                         "smlad  %[a0], %[c0], %[fe], %[a0]\n\t"
                         "smlad  %[a0], %[c1], %[fo], %[a0]\n\t"
                         "ldrd   %[c0], %[c1], [%[col], #8]\n\t"
                         "smlad  %[a2], %[c0], %[fe], %[a2]\n\t"
                         "smlad  %[a2], %[c1], %[fo], %[a2]\n\t"
                         "ldr    %[fo], [%[w], %[row1]]\n\t"
                         "sxtb16 %[fe], %[fo]\n\t"
                         "sxtb16 %[fo], %[fo], ror #8\n\t"
                         "smlad  %[a3], %[c0], %[fe], %[a3]\n\t"
                         "smlad  %[a3], %[c1], %[fo], %[a3]\n\t"
                         "ldrd   %[c0], %[c1], [%[col]], #16\n\t"
                         "smlad  %[a1], %[c0], %[fe], %[a1]\n\t"
                         "smlad  %[a1], %[c1], %[fo], %[a1]\n\t"
                         "subs   %[groups], %[groups], #1\n\t"
                         "bne    1b"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                           [fe] "=&r"(fe), [fo] "=&r"(fo), [c0] "=&r"(c0), [c1] "=&r"(c1),
                           [w] "+r"(w0), [col] "+r"(col), [groups] "+r"(groups)
                         : [row1] "r"(row1)
                         : "cc", "memory");
    }
    for (int32_t k = 0; k < (n & 3); ++k, col += 2) {
        a0 += col[0] * w0[k];
        a1 += col[0] * w0[k + n];
        a2 += col[1] * w0[k];
        a3 += col[1] * w0[k + n];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/** Copy `n` bytes (a window row: short, so no library call). */
static inline void fwgen_nn_dsp_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t v = fwgen_nn_dsp_load4(src + k);
        memcpy(dst + k, &v, sizeof v);
    }
    for (; k < n; ++k) {
        dst[k] = src[k];
    }
}

/** Fill `n` bytes with `value`. */
static inline void fwgen_nn_dsp_fill(int8_t *dst, int8_t value, int32_t n)
{
    for (int32_t k = 0; k < n; ++k) {
        dst[k] = value;
    }
}

#endif /* FWGEN_NN_DSP_H */
