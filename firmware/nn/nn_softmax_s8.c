/* SOFTMAX int8 -> int8 (TFLM reference_ops::Softmax, gemmlowp fixed point). */
#include "nn/nn.h"
#include "nn/nn_fixedpoint.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUMULATION_INTEGER_BITS 12

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000U) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

fwgen_status_t fwgen_nn_softmax_s8(const fwgen_nn_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL || p->depth <= 0) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *in = input + (size_t)r * p->depth;
        int8_t *out = output + (size_t)r * p->depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        int32_t sum_of_exps = 0; /* Q12 */
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = fwgen_nn_doubling_high_mul(
                    (int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
                const int32_t e = fwgen_nn_fp_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
                sum_of_exps += fwgen_nn_fp_mul_pot(e, -ACCUMULATION_INTEGER_BITS);
            }
        }
        /* Reciprocal of the sum: normalise into [1, 2), 1/(1+x) in Q0. */
        const int32_t headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1U << 31));
        const int32_t shifted_scale = fwgen_nn_fp_one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            int32_t v = -128;
            if (diff >= p->diff_min) {
                const int32_t scaled = fwgen_nn_doubling_high_mul(
                    (int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
                const int32_t e = fwgen_nn_fp_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
                const int32_t unsat = fwgen_nn_rounding_divide_by_pot(
                    fwgen_nn_doubling_high_mul(shifted_scale, e), num_bits_over_unit + 31 - 8);
                v = unsat - 128;
                v = v < -128 ? -128 : (v > 127 ? 127 : v);
            }
            out[c] = (int8_t)v;
        }
    }
    return FWGEN_OK;
}
