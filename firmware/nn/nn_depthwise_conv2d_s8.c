/* DEPTHWISE_CONV_2D int8, per-channel (TFLM reference_integer_ops::DepthwiseConvPerChannel). */
#include "nn/nn.h"
#include "nn/nn_window.h"


fwgen_status_t fwgen_nn_depthwise_conv2d_s8(const fwgen_nn_conv_params_t *p, int32_t depth_multiplier,
                                            const fwgen_nn_per_channel_t *q, const int8_t *input,
                                            const int8_t *filter, const int32_t *bias,
                                            int8_t *output)
{
    if (!fwgen_nn_depthwise_args_ok(p, depth_multiplier, q, input, filter, output)) {
        return FWGEN_ERR_ARG;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w;
    const int32_t out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
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
        for (int32_t ic = 0; ic < in_c; ++ic) {
            for (int32_t m = 0; m < depth_multiplier; ++m) {
                const int32_t oc = ic * depth_multiplier + m;
                int32_t acc = 0;
                for (int32_t ky = ky0; ky < ky1; ++ky) {
                    const int32_t iy = y0 + ky * p->dilation_h;
                    for (int32_t kx = kx0; kx < kx1; ++kx) {
                        const int32_t ix = x0 + kx * p->dilation_w;
                        const int32_t x = in_b[((size_t)iy * in_w + ix) * in_c + ic];
                        const int32_t w = filter[((size_t)ky * k_w + kx) * out_c + oc];
                        acc += (x + p->input_offset) * w;
                    }
                }
                if (bias != NULL) {
                    acc += bias[oc];
                }
                acc = fwgen_nn_requantize(acc, q->multiplier[oc], q->shift[oc]) + p->output_offset;
                out_px[oc] = (int8_t)fwgen_nn_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
    return FWGEN_OK;
}
