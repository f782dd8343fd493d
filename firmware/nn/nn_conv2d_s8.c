/* CONV_2D int8, per-channel requantization (TFLM reference_integer_ops::ConvPerChannel). */
#include "nn/nn.h"
#include "nn/nn_window.h"


fwgen_status_t fwgen_nn_conv2d_s8(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                                  const int8_t *input, const int8_t *filter, const int32_t *bias,
                                  int8_t *output)
{
    if (!fwgen_nn_conv2d_args_ok(p, q, input, filter, output)) {
        return FWGEN_ERR_ARG;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w, k_c = p->filter.c;
    const int32_t out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
    const int32_t per_group = out_c / (in_c / k_c);
    const int32_t pixels = p->output.n * out_h * out_w;
    for (int32_t i = 0; i < pixels; ++i) {
        const int32_t px = p->reverse ? pixels - 1 - i : i;
        const fwgen_nn_window_t win = fwgen_nn_window(px, &p->input, &p->output, k_h, k_w, p->stride_h,
                                                      p->stride_w, p->dilation_h, p->dilation_w,
                                                      p->pad_top, p->pad_left);
        const int8_t *in_b = input + (size_t)win.b * in_h * in_w * in_c;
        const int32_t y0 = win.y0, x0 = win.x0;
        const int32_t ky0 = win.ky0, ky1 = win.ky1, kx0 = win.kx0, kx1 = win.kx1;
        int8_t *out_px = output + (size_t)px * out_c;
        for (int32_t oc = 0; oc < out_c; ++oc) {
            const int32_t group = oc / per_group;
            const int8_t *w_oc = filter + (size_t)oc * k_h * k_w * k_c;
            int32_t acc = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
                const int32_t iy = y0 + ky * p->dilation_h;
                for (int32_t kx = kx0; kx < kx1; ++kx) {
                    const int32_t ix = x0 + kx * p->dilation_w;
                    const int8_t *in_px = in_b + ((size_t)iy * in_w + ix) * in_c + group * k_c;
                    const int8_t *w = w_oc + ((size_t)ky * k_w + kx) * k_c;
                    for (int32_t ic = 0; ic < k_c; ++ic) {
                        acc += (in_px[ic] + p->input_offset) * w[ic];
                    }
                }
            }
            if (bias != NULL) {
                acc += bias[oc];
            }
            acc = fwgen_nn_requantize(acc, q->multiplier[oc], q->shift[oc]) + p->output_offset;
            out_px[oc] = (int8_t)fwgen_nn_clamp(acc, p->act_min, p->act_max);
        }
    }
    return FWGEN_OK;
}
