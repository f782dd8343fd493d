/* LOGISTIC int8 (TFLM reference_integer_ops::Logistic, gemmlowp fixed point). */
#include "nn/nn.h"
#include "nn/nn_fixedpoint.h"

#define INPUT_INTEGER_BITS 4
#define OUTPUT_SCALE_BITS 8

fwgen_status_t fwgen_nn_logistic_s8(const fwgen_nn_logistic_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = input[i] - p->input_zero_point;
        int32_t v;
        if (x <= -p->input_range_radius) {
            v = -128;
        } else if (x >= p->input_range_radius) {
            v = 127;
        } else {
            const int32_t in_q4 = fwgen_nn_requantize(x, p->input_multiplier, p->input_left_shift);
            const int32_t out_q0 = fwgen_nn_fp_logistic(in_q4, INPUT_INTEGER_BITS);
            v = fwgen_nn_rounding_divide_by_pot(out_q0, 31 - OUTPUT_SCALE_BITS) - 128;
            v = v < -128 ? -128 : (v > 127 ? 127 : v);
        }
        output[i] = (int8_t)v;
    }
    return FWGEN_OK;
}
