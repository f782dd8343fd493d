/*
 * Small integer helpers shared by the frontend stages (internal header).
 */
#ifndef FWGEN_FRONTEND_BITS_H
#define FWGEN_FRONTEND_BITS_H

#include <stdint.h>

/* Number of bits needed to hold x: 0 for 0, else floor(log2(x)) + 1. */
static inline int fwgen_fe_msb32(uint32_t x)
{
#if defined(__GNUC__)
    return x == 0u ? 0 : 32 - __builtin_clz(x);
#else
    int n = 0;
    while (x != 0u) { ++n; x >>= 1; }
    return n;
#endif
}

static inline int fwgen_fe_msb64(uint64_t x)
{
    uint32_t high = (uint32_t)(x >> 32);
    return high != 0u ? 32 + fwgen_fe_msb32(high) : fwgen_fe_msb32((uint32_t)x);
}

/* Two's complement wrap to 16 bits (what assigning an int to an int16_t field does). */
static inline int16_t fwgen_fe_wrap16(int32_t v)
{
    return (int16_t)(uint16_t)(uint32_t)v;
}

#endif /* FWGEN_FRONTEND_BITS_H */
