/*
 * Packed pairs of int16 (internal): the few Armv7E-M/Armv8-M DSP operations the window, FFT and
 * filterbank use, as ACLE intrinsics from arm_acle.h where the core has them
 * (__ARM_FEATURE_SIMD32: Cortex-M4/M7/M33/M55; PKHTB, which GCC 12's arm_acle.h lacks, as one
 * line of inline assembly) and as plain C everywhere else (the host build, Cortex-M0/M3). Both
 * give identical results: halfword sums wrap modulo 2^16, dual products are exact 32-bit values
 * (wrapping where the reference's int32 arithmetic wraps), Q15 products round as kiss_fft's
 * sround.
 *
 * A pair holds the real part in the low halfword and the imaginary part in the high halfword,
 * which is the memory layout of a {int16 re, im} struct on a little-endian core.
 * Define FWGEN_FRONTEND_NO_SIMD to force the plain C versions.
 */
#ifndef FWGEN_FRONTEND_SIMD_H
#define FWGEN_FRONTEND_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_SIMD32) && !defined(FWGEN_FRONTEND_NO_SIMD)
#include <arm_acle.h>
#define FWGEN_FE_SIMD 1
#else
#define FWGEN_FE_SIMD 0
#endif

typedef uint32_t fwgen_fe_pair_t;

static inline int32_t fwgen_fe_lo(fwgen_fe_pair_t p) { return (int16_t)(uint16_t)p; }
static inline int32_t fwgen_fe_hi(fwgen_fe_pair_t p) { return (int16_t)(uint16_t)(p >> 16); }

/* (lo, hi) -> pair, each wrapped to 16 bits. */
static inline fwgen_fe_pair_t fwgen_fe_pack(int32_t lo, int32_t hi)
{
    return (uint32_t)(uint16_t)(uint32_t)lo | ((uint32_t)(uint16_t)(uint32_t)hi << 16);
}

static inline fwgen_fe_pair_t fwgen_fe_load(const int16_t *p)
{
    fwgen_fe_pair_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = (v >> 16) | (v << 16);
#endif
    return v;
}

static inline void fwgen_fe_store(int16_t *p, fwgen_fe_pair_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = (v >> 16) | (v << 16);
#endif
    memcpy(p, &v, sizeof v);
}

/* (a.lo, b.hi): the low half of `a` under the high half of `b`. */
static inline fwgen_fe_pair_t fwgen_fe_blend(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{
    return (a & 0xFFFFu) | (b & 0xFFFF0000u);
}

/* Both halves shifted left by `shift` (0..15), each wrapped to 16 bits. */
static inline fwgen_fe_pair_t fwgen_fe_shl(fwgen_fe_pair_t p, uint32_t shift)
{
    return ((p << shift) & 0xFFFFu) | ((p & 0xFFFF0000u) << shift);
}

#define FWGEN_FE_ROUND_Q15 (1 << 14)

#if FWGEN_FE_SIMD
/* (top.hi, bottom >> shift): PKHTB, which GCC does not find on its own. */
#define FWGEN_FE_PKHTB(top, bottom, shift, out) \
    __asm__("pkhtb %0, %1, %2, asr #" #shift : "=r"(out) : "r"(top), "r"(bottom))

/* Both halves times k (0..16383), rounded from Q30 to Q15: sround(x * k) each. Computed as
 * x * 2k + 2^15 (exactly twice x * k + 2^14, no overflow for k < 2^14), whose upper halves
 * are the results: SMLABB, SMLATB and one PKHTB. */
static inline fwgen_fe_pair_t fwgen_fe_scale(fwgen_fe_pair_t a, int32_t k)
{
    const int32_t lo = __smlabb((int32_t)a, 2 * k, 2 * FWGEN_FE_ROUND_Q15);
    const int32_t hi = __smlatb((int32_t)a, 2 * k, 2 * FWGEN_FE_ROUND_Q15);
    fwgen_fe_pair_t out;
    FWGEN_FE_PKHTB(hi, lo, 16, out);
    return out;
}
/* Complex product a * b, each part rounded from Q30 to Q15 (kiss_fft's C_MUL): SMLSD and
 * SMLADX with the rounding constant as accumulator, then the two Q15 halves packed. */
static inline fwgen_fe_pair_t fwgen_fe_cmul(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{
    const int32_t re = __smlsd((int32_t)a, (int32_t)b, FWGEN_FE_ROUND_Q15);
    const uint32_t im2 = (uint32_t)__smladx((int32_t)a, (int32_t)b, FWGEN_FE_ROUND_Q15) << 1;
    fwgen_fe_pair_t out;
    FWGEN_FE_PKHTB(im2, re, 15, out);
    return out;
}
/* (a.lo + b.lo) >> 1, (a.hi + b.hi) >> 1 without wrapping before the shift. */
static inline fwgen_fe_pair_t fwgen_fe_half_add(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__shadd16((int32_t)a, (int32_t)b); }
/* (a.lo - b.lo) >> 1, (a.hi - b.hi) >> 1 without wrapping before the shift. */
static inline fwgen_fe_pair_t fwgen_fe_half_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__shsub16((int32_t)a, (int32_t)b); }
/* p.lo^2 + p.hi^2 as an int32 (wraps only for -32768 in both halves: 2^31). */
static inline int32_t fwgen_fe_energy(fwgen_fe_pair_t p)
{ return __smuad((int32_t)p, (int32_t)p); }
#else
/* Bits 15..30 of `lo` and of `hi` as a pair: each value >> 15, wrapped to int16 (the Q30 -> Q15
 * step of kiss_fft's sround once the rounding constant is in). */
static inline fwgen_fe_pair_t fwgen_fe_pack_q15(int32_t lo, int32_t hi)
{
    return (((uint32_t)lo >> 15) & 0xFFFFu) | (((uint32_t)hi << 1) & 0xFFFF0000u);
}
static inline fwgen_fe_pair_t fwgen_fe_scale(fwgen_fe_pair_t a, int32_t k)
{
    return fwgen_fe_pack_q15((int32_t)((uint32_t)(fwgen_fe_lo(a) * k) + FWGEN_FE_ROUND_Q15),
                             (int32_t)((uint32_t)(fwgen_fe_hi(a) * k) + FWGEN_FE_ROUND_Q15));
}
static inline fwgen_fe_pair_t fwgen_fe_cmul(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{
    const uint32_t re = (uint32_t)(fwgen_fe_lo(a) * fwgen_fe_lo(b)) -
                        (uint32_t)(fwgen_fe_hi(a) * fwgen_fe_hi(b)) + FWGEN_FE_ROUND_Q15;
    const uint32_t im = (uint32_t)(fwgen_fe_lo(a) * fwgen_fe_hi(b)) +
                        (uint32_t)(fwgen_fe_hi(a) * fwgen_fe_lo(b)) + FWGEN_FE_ROUND_Q15;
    return fwgen_fe_pack_q15((int32_t)re, (int32_t)im);
}
static inline fwgen_fe_pair_t fwgen_fe_half_add(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack((fwgen_fe_lo(a) + fwgen_fe_lo(b)) >> 1, (fwgen_fe_hi(a) + fwgen_fe_hi(b)) >> 1); }
static inline fwgen_fe_pair_t fwgen_fe_half_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack((fwgen_fe_lo(a) - fwgen_fe_lo(b)) >> 1, (fwgen_fe_hi(a) - fwgen_fe_hi(b)) >> 1); }
static inline int32_t fwgen_fe_energy(fwgen_fe_pair_t p)
{ return (int32_t)((uint32_t)(fwgen_fe_lo(p) * fwgen_fe_lo(p)) + (uint32_t)(fwgen_fe_hi(p) * fwgen_fe_hi(p))); }
#endif

#if FWGEN_FE_SIMD
/* (a.lo + b.lo, a.hi + b.hi) */
static inline fwgen_fe_pair_t fwgen_fe_add(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__sadd16((int32_t)a, (int32_t)b); }
/* (a.lo - b.lo, a.hi - b.hi) */
static inline fwgen_fe_pair_t fwgen_fe_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__ssub16((int32_t)a, (int32_t)b); }
/* (a.lo - b.hi, a.hi + b.lo) */
static inline fwgen_fe_pair_t fwgen_fe_asx(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__sasx((int32_t)a, (int32_t)b); }
/* (a.lo + b.hi, a.hi - b.lo) */
static inline fwgen_fe_pair_t fwgen_fe_sax(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return (fwgen_fe_pair_t)__ssax((int32_t)a, (int32_t)b); }
#else
static inline fwgen_fe_pair_t fwgen_fe_add(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) + fwgen_fe_lo(b), fwgen_fe_hi(a) + fwgen_fe_hi(b)); }
static inline fwgen_fe_pair_t fwgen_fe_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) - fwgen_fe_lo(b), fwgen_fe_hi(a) - fwgen_fe_hi(b)); }
static inline fwgen_fe_pair_t fwgen_fe_asx(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) - fwgen_fe_hi(b), fwgen_fe_hi(a) + fwgen_fe_lo(b)); }
static inline fwgen_fe_pair_t fwgen_fe_sax(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) + fwgen_fe_hi(b), fwgen_fe_hi(a) - fwgen_fe_lo(b)); }
#endif

#endif /* FWGEN_FRONTEND_SIMD_H */
