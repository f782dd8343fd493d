/*
 * PCAN gain control with TFLM semantics: the gain is a piecewise quadratic of the noise estimate
 * (one segment per power of two, coefficients in pcan_gain_lut), the SNR goes through a shrink
 * function (quadratic below 2.0, linear above) to 6 output bits.
 */
#include "frontend/pcan.h"

#include "frontend/bits.h"

#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6

static int16_t gain_of(uint32_t x, const int16_t *lut)
{
    if (x <= 2u) {
        return lut[x];
    }
    const int interval = fwgen_fe_msb32(x);
    const int16_t *seg = lut + 4 * interval - 6;
    const uint32_t frac = ((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FFu;
    /* 32-bit arithmetic with wrap-around, as the reference computes it */
    uint32_t r = (uint32_t)(((int32_t)seg[2] * (int32_t)frac) >> 5);
    r += (uint32_t)(int32_t)seg[1] << 5;
    r *= frac;
    const int32_t rounded = ((int32_t)(r + (1u << 14))) >> 15;
    return fwgen_fe_wrap16(rounded + seg[0]);
}

static uint32_t shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS)) {
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    }
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

void fwgen_fe_pcan(const fwgen_frontend_config_t *config, uint32_t *signal,
                   const uint32_t *noise_estimate)
{
    for (uint32_t c = 0; c < config->n_channels; ++c) {
        const uint32_t gain = (uint32_t)(int32_t)gain_of(noise_estimate[c], config->pcan_gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)signal[c] * gain) >> config->pcan_snr_shift);
        signal[c] = shrink(snr);
    }
}
