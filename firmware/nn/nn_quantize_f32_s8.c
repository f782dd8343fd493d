/* QUANTIZE float -> int8 (TFLM reference_ops::AffineQuantize). */
#include <math.h>

#include "nn/nn.h"

fwgen_status_t fwgen_nn_quantize_f32_s8(int32_t size, double scale, int32_t zero_point,
                                        const float *input, int8_t *output)
{
    if (input == NULL || output == NULL || !(scale > 0.0)) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t i = 0; i < size; ++i) {
        double r = round((double)input[i] / scale);
        /* clamp before converting: identical result for every in-range value, no UB outside */
        r = r < -1.0e6 ? -1.0e6 : (r > 1.0e6 ? 1.0e6 : r);
        int32_t v = (int32_t)r + zero_point;
        v = v < -128 ? -128 : (v > 127 ? 127 : v);
        output[i] = (int8_t)v;
    }
    return FWGEN_OK;
}
