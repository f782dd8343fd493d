/* FULLY_CONNECTED int8 (TFLM reference_integer_ops::FullyConnected), input offset folded in bias. */
#include "nn/nn.h"

fwgen_status_t fwgen_nn_fully_connected_s8(const fwgen_nn_fc_params_t *p, const fwgen_nn_per_channel_t *q,
                                           const int8_t *input, const int8_t *filter,
                                           const int32_t *folded_bias, int8_t *output)
{
    if (!FWGEN_NN_FC_ARGS_OK(p, q, input, filter, folded_bias, output)) {
        return FWGEN_ERR_ARG;
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + (size_t)b * p->accum_depth;
        for (int32_t o = 0; o < p->out_depth; ++o) {
            const int8_t *w = filter + (size_t)o * p->accum_depth;
            int32_t acc = folded_bias[o];
            for (int32_t k = 0; k < p->accum_depth; ++k) {
                acc += in[k] * w[k];
            }
            const int32_t ch = p->per_channel ? o : 0;
            acc = fwgen_nn_requantize(acc, q->multiplier[ch], q->shift[ch]) + p->output_offset;
            acc = acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
            output[(size_t)b * p->out_depth + o] = (int8_t)acc;
        }
    }
    return FWGEN_OK;
}
