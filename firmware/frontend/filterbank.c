/*
 * Mel filterbank with TFLM semantics: |X|^2 is kept as a 32-bit value that the reference stores
 * in an int32 and widens with sign extension, accumulated in 64 bits with Q12 weights, then a
 * rounded integer square root (32-bit shortcut when the upper word is clear).
 */
#include "frontend/filterbank.h"

#include "frontend/bits.h"

/* floor(sqrt(num)) and the remainder num - root^2, digit by digit. */
static uint64_t isqrt64(uint64_t num, uint64_t *remainder)
{
    uint64_t root = 0;
    uint64_t bit = 0;
    if (num != 0u) {
        int top = fwgen_fe_msb64(num) - 1; /* highest set bit */
        bit = (uint64_t)1 << (top & ~1);   /* highest power of four <= num */
    }
    while (bit != 0u) {
        if (num >= root + bit) {
            num -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    *remainder = num;
    return root;
}

/* Rounded square root as the reference computes it (16-bit result below 2^32, capped). */
static uint32_t rounded_sqrt(uint64_t num)
{
    uint64_t rem;
    const uint64_t root = isqrt64(num, &rem);
    const uint64_t cap = (num >> 32) == 0u ? 0xFFFFu : 0xFFFFFFFFu;
    return (uint32_t)((rem > root && root != cap) ? root + 1u : root);
}

void fwgen_fe_filterbank(const fwgen_frontend_config_t *config, const int16_t *spectrum,
                         uint32_t *channels, int scale_down_shift)
{
    const uint16_t *edges = config->band_edges;
    const int16_t *weights = config->weights - config->spectrum_start;
    const int16_t *unweights = config->unweights - config->spectrum_start;
    uint64_t carried = 0; /* unweighted sum of the previous band */
    for (uint32_t band = 0; band <= config->n_channels; ++band) {
        uint64_t weighted = 0;
        uint64_t unweighted = 0;
        for (uint32_t bin = edges[band]; bin < edges[band + 1u]; ++bin) {
            const int32_t re = spectrum[2u * bin];
            const int32_t im = spectrum[2u * bin + 1u];
            /* |X|^2 <= 2^31 wraps to an int32 and widens with sign extension, as in the
             * reference (only re = im = -32768 gives 2^31) */
            const uint64_t e = (uint64_t)(int64_t)(int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
            weighted += (uint64_t)(int64_t)weights[bin] * e;
            unweighted += (uint64_t)(int64_t)unweights[bin] * e;
        }
        if (band > 0u) {
            channels[band - 1u] = rounded_sqrt(weighted + carried) >> scale_down_shift;
        }
        carried = unweighted;
    }
}
