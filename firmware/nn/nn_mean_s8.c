/* MEAN int8 over any axes (TFLM reference_ops::QuantizedMeanOrSum, mean variant). */
#include "nn/nn.h"

size_t fwgen_nn_mean_s8_get_buffer_size(const fwgen_nn_mean_params_t *p)
{
    return p == NULL ? 0 : (size_t)p->num_outputs * sizeof(int32_t);
}

fwgen_status_t fwgen_nn_mean_s8(const fwgen_nn_mean_params_t *p, const int8_t *input, int8_t *output,
                                int32_t *scratch)
{
    if (p == NULL || input == NULL || output == NULL || scratch == NULL || p->rank < 1 || p->rank > 4) {
        return FWGEN_ERR_ARG;
    }
    int32_t dims[4] = {1, 1, 1, 1};
    int32_t strides[4] = {0, 0, 0, 0};
    const int32_t lead = 4 - p->rank;
    for (int32_t i = 0; i < p->rank; ++i) {
        dims[lead + i] = p->dims[i];
        strides[lead + i] = p->out_strides[i];
    }
    for (int32_t i = 0; i < p->num_outputs; ++i) {
        scratch[i] = 0;
    }
    size_t in_index = 0;
    for (int32_t a = 0; a < dims[0]; ++a) {
        for (int32_t b = 0; b < dims[1]; ++b) {
            for (int32_t c = 0; c < dims[2]; ++c) {
                const int32_t base = a * strides[0] + b * strides[1] + c * strides[2];
                for (int32_t d = 0; d < dims[3]; ++d) {
                    scratch[base + d * strides[3]] += input[in_index++];
                }
            }
        }
    }
    for (int32_t i = 0; i < p->num_outputs; ++i) {
        const int32_t shifted = scratch[i] - p->input_zero_point * p->num_reduced;
        int32_t v = fwgen_nn_requantize(shifted, p->multiplier, p->shift) + p->output_zero_point;
        v = v < -128 ? -128 : (v > 127 ? 127 : v);
        output[i] = (int8_t)v;
    }
    return FWGEN_OK;
}
