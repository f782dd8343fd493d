/* PAD / PADV2 int8, rank <= 6 (TFLM reference_ops::Pad). */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_pad_s8(const fwgen_nn_pad_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL || p->rank < 1 || p->rank > 6) {
        return FWGEN_ERR_ARG;
    }
    int32_t od[6] = {1, 1, 1, 1, 1, 1}, id[6] = {1, 1, 1, 1, 1, 1}, bf[6] = {0, 0, 0, 0, 0, 0};
    const int32_t lead = 6 - p->rank;
    for (int32_t i = 0; i < p->rank; ++i) {
        od[lead + i] = p->out_dims[i];
        id[lead + i] = p->in_dims[i];
        bf[lead + i] = p->before[i];
    }
    int32_t is[6];
    is[5] = 1;
    for (int32_t i = 4; i >= 0; --i) {
        is[i] = is[i + 1] * id[i + 1];
    }
    size_t o = 0;
    int32_t idx[6];
    for (idx[0] = 0; idx[0] < od[0]; ++idx[0])
        for (idx[1] = 0; idx[1] < od[1]; ++idx[1])
            for (idx[2] = 0; idx[2] < od[2]; ++idx[2])
                for (idx[3] = 0; idx[3] < od[3]; ++idx[3])
                    for (idx[4] = 0; idx[4] < od[4]; ++idx[4])
                        for (idx[5] = 0; idx[5] < od[5]; ++idx[5]) {
                            int32_t inside = 1;
                            int32_t off = 0;
                            for (int32_t k = 0; k < 6; ++k) {
                                const int32_t j = idx[k] - bf[k];
                                if (j < 0 || j >= id[k]) {
                                    inside = 0;
                                    break;
                                }
                                off += j * is[k];
                            }
                            output[o++] = inside ? input[off] : (int8_t)p->pad_value;
                        }
    return FWGEN_OK;
}
