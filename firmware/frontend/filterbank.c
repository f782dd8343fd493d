/*
 * Mel filterbank with TFLM semantics: |X|^2 is kept as a 32-bit value that the reference stores
 * in an int32 and widens with sign extension, accumulated in 64 bits with Q12 weights, then a
 * rounded integer square root (16-bit cap when the upper word is clear).
 *
 * The square root is exact but not digit by digit: Newton's iteration from above with the
 * core's divide instruction for 32-bit values, and for 64-bit ones one Karatsuba step on top
 * of the 32-bit root of the upper half (Zimmermann, "Karatsuba Square Root", 1999): about a
 * fifth of the instructions of the bit-serial loop the reference uses.
 */
#include "frontend/filterbank.h"

#include "frontend/bits.h"
#include "frontend/simd.h"

/* floor(sqrt(x)): Newton from 2^ceil(bits/2) >= sqrt(x); it decreases until it reaches it. */
static uint32_t isqrt32(uint32_t x)
{
    if (x == 0u) {
        return 0u;
    }
    uint32_t root = 1u << ((fwgen_fe_msb32(x) + 1) >> 1);
    for (;;) {
        const uint32_t next = (root + x / root) >> 1;
        if (next >= root) {
            return root;
        }
        root = next;
    }
}

/* floor(sqrt(num)) for 64-bit num. */
static uint32_t isqrt64(uint64_t num)
{
    const uint32_t upper = (uint32_t)(num >> 32);
    if (upper == 0u) {
        return isqrt32((uint32_t)num);
    }
    /* Shift by an even amount into [2^62, 2^64), where the root of the top 32 bits gives the
     * root's upper 16 bits; sqrt(num * 4^k) >> k is sqrt(num), floors included. */
    const int k = (32 - fwgen_fe_msb32(upper)) >> 1;
    const uint64_t m = num << (2 * k);
    const uint32_t top = (uint32_t)(m >> 32);
    const uint32_t a1 = (uint32_t)(m >> 16) & 0xFFFFu;
    const uint32_t a0 = (uint32_t)m & 0xFFFFu;
    const uint32_t s1 = isqrt32(top);          /* 2^15 .. 2^16 - 1 */
    const uint32_t r1 = top - s1 * s1;         /* 0 .. 2 * s1 */
    /* (q, u) = divrem(r1 * 2^16 + a1, 2 * s1), the dividend halved to fit 32 bits */
    const uint32_t half = (r1 << 15) | (a1 >> 1);
    const uint32_t q = half / s1;
    const uint32_t u = ((half - q * s1) << 1) | (a1 & 1u);
    uint32_t root = (s1 << 16) + q;            /* mod 2^32: the correction below brings it back */
    if ((((uint64_t)u << 16) | a0) < (uint64_t)q * q) {
        root -= 1u;
    }
    return root >> k;
}

/* Rounded square root as the reference computes it (16-bit result below 2^32, capped). */
static uint32_t rounded_sqrt(uint64_t num)
{
    const uint32_t root = isqrt64(num);
    const uint64_t rem = num - (uint64_t)root * root;
    const uint32_t cap = (num >> 32) == 0u ? 0xFFFFu : 0xFFFFFFFFu;
    return (rem > root && root != cap) ? root + 1u : root;
}

void fwgen_fe_filterbank(const fwgen_frontend_config_t *config, const int16_t *spectrum,
                         uint32_t *channels, int scale_down_shift)
{
    const uint16_t *edges = config->band_edges;
    const int16_t *weights = config->weights - config->spectrum_start;
    const int16_t *unweights = config->unweights - config->spectrum_start;
    int64_t carried = 0; /* unweighted sum of the previous band */
    for (uint32_t band = 0; band <= config->n_channels; ++band) {
        int64_t weighted = 0;
        int64_t unweighted = 0;
        for (uint32_t bin = edges[band]; bin < edges[band + 1u]; ++bin) {
            /* |X|^2 <= 2^31 wraps to an int32, as in the reference (only re = im = -32768
             * gives 2^31); products of a Q12 weight and it cannot overflow the sums */
            const int32_t e = fwgen_fe_energy(fwgen_fe_load(spectrum + 2u * bin));
            weighted += (int64_t)weights[bin] * e;
            unweighted += (int64_t)unweights[bin] * e;
        }
        if (band > 0u) {
            channels[band - 1u] = rounded_sqrt((uint64_t)(weighted + carried)) >> scale_down_shift;
        }
        carried = unweighted;
    }
}
