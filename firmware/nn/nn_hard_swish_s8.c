/* HARD_SWISH int8 (TFLM reference_ops::HardSwish: int16 fixed point, "reluish" multiplier). */
#include "nn/nn.h"

static int16_t sat16(int32_t v)
{
    return (int16_t)(v < INT16_MIN ? INT16_MIN : (v > INT16_MAX ? INT16_MAX : v));
}

/* round(a * b / 2^15), saturating INT16_MIN^2 */
static int16_t rdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* truncating a * b / 2^15, saturating INT16_MIN^2 */
static int16_t dhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t rdpot16(int16_t x, int32_t exponent)
{
    const int16_t mask = (int16_t)((1 << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

fwgen_status_t fwgen_nn_hard_swish_s8(const fwgen_nn_hard_swish_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL || p->output_multiplier_exponent > 0) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        const int16_t x = (int16_t)(input[i] - p->input_zero_point);
        const int16_t hires = (int16_t)(x * (1 << 7));
        const int16_t preshift_out = rdhm16(hires, p->output_multiplier_fixedpoint_int16);
        int16_t reluish = hires;
        if (p->reluish_multiplier_exponent > 0) {
            reluish = sat16((int32_t)reluish * (1 << (p->reluish_multiplier_exponent - 1)));
        }
        reluish = rdhm16(reluish, p->reluish_multiplier_fixedpoint_int16);
        if (p->reluish_multiplier_exponent > 0) {
            reluish = sat16((int32_t)reluish * 2);
        }
        if (p->reluish_multiplier_exponent < 0) {
            reluish = rdpot16(reluish, -p->reluish_multiplier_exponent);
        }
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1);
        const int16_t preshift = dhm16(reluish, preshift_out);
        int32_t out = rdpot16(preshift, -p->output_multiplier_exponent) + p->output_zero_point;
        out = out < -128 ? -128 : (out > 127 ? 127 : out);
        output[i] = (int8_t)out;
    }
    return FWGEN_OK;
}
