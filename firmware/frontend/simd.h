/*
 * Packed pairs of int16 (internal): the few Armv7E-M/Armv8-M DSP SIMD operations the FFT uses,
 * as ACLE intrinsics where the core has them (__ARM_FEATURE_SIMD32: Cortex-M4/M7/M33/M55) and
 * as plain C everywhere else (the host build, Cortex-M0/M3). Both give identical results:
 * halfword sums wrap modulo 2^16, dual products are exact 32-bit values.
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
/* a.lo * b.lo - a.hi * b.hi */
static inline int32_t fwgen_fe_mul_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return __smusd((int32_t)a, (int32_t)b); }
/* a.lo * b.hi + a.hi * b.lo */
static inline int32_t fwgen_fe_mul_add_x(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return __smuadx((int32_t)a, (int32_t)b); }
#else
static inline fwgen_fe_pair_t fwgen_fe_add(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) + fwgen_fe_lo(b), fwgen_fe_hi(a) + fwgen_fe_hi(b)); }
static inline fwgen_fe_pair_t fwgen_fe_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) - fwgen_fe_lo(b), fwgen_fe_hi(a) - fwgen_fe_hi(b)); }
static inline fwgen_fe_pair_t fwgen_fe_asx(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) - fwgen_fe_hi(b), fwgen_fe_hi(a) + fwgen_fe_lo(b)); }
static inline fwgen_fe_pair_t fwgen_fe_sax(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_pack(fwgen_fe_lo(a) + fwgen_fe_hi(b), fwgen_fe_hi(a) - fwgen_fe_lo(b)); }
static inline int32_t fwgen_fe_mul_sub(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_lo(a) * fwgen_fe_lo(b) - fwgen_fe_hi(a) * fwgen_fe_hi(b); }
static inline int32_t fwgen_fe_mul_add_x(fwgen_fe_pair_t a, fwgen_fe_pair_t b)
{ return fwgen_fe_lo(a) * fwgen_fe_hi(b) + fwgen_fe_hi(a) * fwgen_fe_lo(b); }
#endif

#endif /* FWGEN_FRONTEND_SIMD_H */
