/* ADD int8 with 4-D broadcasting (TFLM reference_integer_ops::Add / BroadcastAdd4DSlow). */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_add_s8(const fwgen_nn_binary_params_t *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output)
{
    if (p == NULL || input1 == NULL || input2 == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    size_t out_index = 0;
    for (int32_t a = 0; a < p->out_dims[0]; ++a) {
        for (int32_t b = 0; b < p->out_dims[1]; ++b) {
            for (int32_t c = 0; c < p->out_dims[2]; ++c) {
                for (int32_t d = 0; d < p->out_dims[3]; ++d) {
                    const int32_t i1 = a * p->in1_strides[0] + b * p->in1_strides[1] + c * p->in1_strides[2] + d * p->in1_strides[3];
                    const int32_t i2 = a * p->in2_strides[0] + b * p->in2_strides[1] + c * p->in2_strides[2] + d * p->in2_strides[3];
                    const int32_t v1 = (int32_t)((uint32_t)(p->input1_offset + input1[i1]) << p->left_shift);
                    const int32_t v2 = (int32_t)((uint32_t)(p->input2_offset + input2[i2]) << p->left_shift);
                    const int32_t s1 = fwgen_nn_requantize(v1, p->input1_multiplier, p->input1_shift);
                    const int32_t s2 = fwgen_nn_requantize(v2, p->input2_multiplier, p->input2_shift);
                    int32_t out = fwgen_nn_requantize(s1 + s2, p->output_multiplier, p->output_shift) + p->output_offset;
                    out = out < p->act_min ? p->act_min : (out > p->act_max ? p->act_max : out);
                    output[out_index++] = (int8_t)out;
                }
            }
        }
    }
    return FWGEN_OK;
}
