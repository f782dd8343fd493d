/* RELU / RELU6 / int8->int8 QUANTIZE: rescale then clamp (TFLM ReluQuantized, Relu6Quantized,
 * Requantize). */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_requantize_s8(const fwgen_nn_requant_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        int32_t v = input[i];
        if (p->multiplier != 0) {
            v = p->output_offset + fwgen_nn_requantize(v - p->input_zero_point, p->multiplier, p->shift);
        }
        v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
        output[i] = (int8_t)v;
    }
    return FWGEN_OK;
}
