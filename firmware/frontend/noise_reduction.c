/* Noise reduction with TFLM semantics (Q14 smoothing, even/odd channel coefficients). */
#include "frontend/noise_reduction.h"

void fwgen_fe_noise_reduction(const fwgen_frontend_config_t *config, uint32_t *signal,
                              uint32_t *estimate)
{
    const uint32_t bits = config->smoothing_bits;
    for (uint32_t c = 0; c < config->n_channels; ++c) {
        const uint32_t smoothing = (c & 1u) ? config->odd_smoothing : config->even_smoothing;
        const uint32_t one_minus = (1u << FWGEN_FRONTEND_NOISE_BITS) - smoothing;
        const uint32_t scaled = signal[c] << bits;
        uint32_t est = (uint32_t)(((uint64_t)scaled * smoothing +
                                   (uint64_t)estimate[c] * one_minus) >> FWGEN_FRONTEND_NOISE_BITS);
        estimate[c] = est;
        if (est > scaled) {
            est = scaled;
        }
        const uint32_t floor_value = (uint32_t)(((uint64_t)signal[c] * config->min_signal_remaining)
                                                >> FWGEN_FRONTEND_NOISE_BITS);
        const uint32_t subtracted = (scaled - est) >> bits;
        signal[c] = subtracted > floor_value ? subtracted : floor_value;
    }
}
