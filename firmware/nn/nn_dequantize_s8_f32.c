/* DEQUANTIZE int8 -> float (TFLM reference_ops::Dequantize). */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_dequantize_s8_f32(int32_t size, double scale, int32_t zero_point,
                                          const int8_t *input, float *output)
{
    if (input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        output[i] = (float)(scale * (double)(input[i] - zero_point));
    }
    return FWGEN_OK;
}
