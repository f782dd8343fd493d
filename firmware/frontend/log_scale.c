/*
 * Log scale with TFLM semantics: log2(x) = integer part + fraction (linear interpolation of a
 * 128-segment correction table), times ln(2) in Q16 (45426), rounded, then scaled by 2^shift.
 */
#include "frontend/log_scale.h"

#include "frontend/bits.h"

#define LOG_SCALE_LOG2 16
#define LOG_SEGMENTS_LOG2 7
#define LOG_COEFF 45426u /* ln(2) in Q16 */

static uint32_t log2_fraction(uint32_t x, uint32_t log2x, const uint16_t *lut)
{
    int32_t frac = (int32_t)(x - ((uint32_t)1 << log2x));
    if (log2x < LOG_SCALE_LOG2) {
        frac <<= LOG_SCALE_LOG2 - log2x;
    } else {
        frac >>= log2x - LOG_SCALE_LOG2;
    }
    const uint32_t seg = (uint32_t)frac >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2);
    const int32_t c0 = lut[seg];
    const int32_t c1 = lut[seg + 1u];
    const int32_t seg_base = (int32_t)(seg << (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2));
    const int32_t rel = ((c1 - c0) * (frac - seg_base)) >> LOG_SCALE_LOG2;
    return (uint32_t)(frac + c0 + rel);
}

static uint32_t log_scaled(uint32_t x, uint32_t shift, const uint16_t *lut)
{
    const uint32_t integer = (uint32_t)fwgen_fe_msb32(x) - 1u;
    const uint32_t log2 = (integer << LOG_SCALE_LOG2) + log2_fraction(x, integer, lut);
    const uint32_t round = 1u << (LOG_SCALE_LOG2 - 1);
    const uint32_t loge = (uint32_t)(((uint64_t)LOG_COEFF * log2 + round) >> LOG_SCALE_LOG2);
    return ((loge << shift) + round) >> LOG_SCALE_LOG2;
}

void fwgen_fe_log_scale(const fwgen_frontend_config_t *config, const uint32_t *signal,
                        uint16_t *out)
{
    const int correction = config->log_correction_bits;
    for (uint32_t c = 0; c < config->n_channels; ++c) {
        uint32_t v = signal[c];
        if (config->log_enable) {
            v = correction < 0 ? v >> -correction : v << correction;
            v = v > 1u ? log_scaled(v, config->log_scale_shift, config->log_lut) : 0u;
        }
        out[c] = (uint16_t)(v < 0xFFFFu ? v : 0xFFFFu);
    }
}
