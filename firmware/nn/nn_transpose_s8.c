/* TRANSPOSE int8, rank <= 6 (TFLM reference_ops::Transpose). */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_transpose_s8(const fwgen_nn_transpose_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL || p->rank < 1 || p->rank > 6) {
        return FWGEN_ERR_ARG;
    }
    int32_t dims[6] = {1, 1, 1, 1, 1, 1};
    int32_t strides[6] = {0, 0, 0, 0, 0, 0};
    const int32_t lead = 6 - p->rank;
    for (int32_t i = 0; i < p->rank; ++i) {
        dims[lead + i] = p->out_dims[i];
        strides[lead + i] = p->in_strides[i];
    }
    size_t o = 0;
    for (int32_t a = 0; a < dims[0]; ++a)
        for (int32_t b = 0; b < dims[1]; ++b)
            for (int32_t c = 0; c < dims[2]; ++c)
                for (int32_t d = 0; d < dims[3]; ++d)
                    for (int32_t e = 0; e < dims[4]; ++e) {
                        const int32_t base = a * strides[0] + b * strides[1] + c * strides[2] +
                                             d * strides[3] + e * strides[4];
                        for (int32_t f = 0; f < dims[5]; ++f) {
                            output[o++] = input[base + f * strides[5]];
                        }
                    }
    return FWGEN_OK;
}
