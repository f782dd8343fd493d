/*
 * FULLY_CONNECTED int8: the DSP-extension variant of firmware/nn/nn_fully_connected_s8.c,
 * bit-exact with it (and TFLM's FullyConnected; the input offset is folded into the bias).
 *
 * Two filter rows at a time: each word of 4 inputs is split once into two int16 pairs (SXTB16)
 * and meets both rows' words in SMLADs; requantization is inline (nn/dsp/nn_dsp.h).
 */
#include "nn/nn.h"
#include "nn/dsp/nn_dsp.h"

/* acc0 += in . w0, acc1 += in . w1 over `n` elements. */
static inline void fc_dot2(const int8_t *in, const int8_t *w0, const int8_t *w1, int32_t n,
                           int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t k = 0;
#pragma GCC unroll 2
    for (; k + 4 <= n; k += 4) {
        const uint32_t x = fwgen_nn_dsp_load4(in + k);
        const uint32_t f0 = fwgen_nn_dsp_load4(w0 + k);
        const uint32_t f1 = fwgen_nn_dsp_load4(w1 + k);
        const int32_t xe = __sxtb16((int32_t)x), xo = fwgen_nn_dsp_sxtb16_ror8(x);
        a0 = __smlad(xe, __sxtb16((int32_t)f0), a0);
        a0 = __smlad(xo, fwgen_nn_dsp_sxtb16_ror8(f0), a0);
        a1 = __smlad(xe, __sxtb16((int32_t)f1), a1);
        a1 = __smlad(xo, fwgen_nn_dsp_sxtb16_ror8(f1), a1);
    }
    for (; k < n; ++k) {
        a0 += in[k] * w0[k];
        a1 += in[k] * w1[k];
    }
    *acc0 = a0;
    *acc1 = a1;
}

fwgen_status_t fwgen_nn_fully_connected_s8(const fwgen_nn_fc_params_t *p, const fwgen_nn_per_channel_t *q,
                                           const int8_t *input, const int8_t *filter,
                                           const int32_t *folded_bias, int8_t *output)
{
    if (!FWGEN_NN_FC_ARGS_OK(p, q, input, filter, folded_bias, output)) {
        return FWGEN_ERR_ARG;
    }
    const int32_t depth = p->accum_depth, out_depth = p->out_depth, per_channel = p->per_channel;
    const int32_t *mult = q->multiplier;
    const int8_t *shift = q->shift;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in = input + (size_t)b * depth;
        int8_t *out = output + (size_t)b * out_depth;
        int32_t o = 0;
        for (; o + 2 <= out_depth; o += 2) {
            const int8_t *w0 = filter + (size_t)o * depth;
            int32_t a0 = folded_bias[o], a1 = folded_bias[o + 1];
            fc_dot2(in, w0, w0 + depth, depth, &a0, &a1);
            const int32_t c0 = per_channel ? o : 0, c1 = per_channel ? o + 1 : 0;
            out[o] = fwgen_nn_dsp_output(a0, mult[c0], shift[c0], out_off, lo, hi);
            out[o + 1] = fwgen_nn_dsp_output(a1, mult[c1], shift[c1], out_off, lo, hi);
        }
        if (o < out_depth) {
            const int8_t *w = filter + (size_t)o * depth;
            int32_t a0 = folded_bias[o], unused = 0;
            fc_dot2(in, w, w, depth, &a0, &unused);
            const int32_t c0 = per_channel ? o : 0;
            out[o] = fwgen_nn_dsp_output(a0, mult[c0], shift[c0], out_off, lo, hi);
        }
    }
    return FWGEN_OK;
}
