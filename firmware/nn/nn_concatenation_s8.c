/* CONCATENATION int8 with shared quantization (TFLM copies bytes). */
#include <string.h>

#include "nn/nn.h"

fwgen_status_t fwgen_nn_concatenation_s8(int32_t num_inputs, int32_t outer, const int32_t *inner_bytes,
                                         const int8_t *const *inputs, int8_t *output)
{
    if (inner_bytes == NULL || inputs == NULL || output == NULL || num_inputs < 1) {
        return FWGEN_ERR_ARG;
    }
    int8_t *out = output;
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < num_inputs; ++i) {
            memcpy(out, inputs[i] + (size_t)o * inner_bytes[i], (size_t)inner_bytes[i]);
            out += inner_bytes[i];
        }
    }
    return FWGEN_OK;
}
