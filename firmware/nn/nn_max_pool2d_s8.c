/* MAX_POOL_2D int8 (TFLM reference_integer_ops::MaxPool). */
#include "nn/nn.h"
#include "nn/nn_window.h"

fwgen_status_t fwgen_nn_max_pool2d_s8(const fwgen_nn_pool_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, ch = p->input.c;
    const int32_t out_h = p->output.h, out_w = p->output.w;
    const int32_t pixels = p->output.n * out_h * out_w;
    for (int32_t i = 0; i < pixels; ++i) {
        const int32_t px = p->reverse ? pixels - 1 - i : i;
        const fwgen_nn_window_t win = fwgen_nn_window(px, &p->input, &p->output, p->filter_h, p->filter_w,
                                                      p->stride_h, p->stride_w, 1, 1, p->pad_top,
                                                      p->pad_left);
        const int32_t b = win.b, y0 = win.y0, x0 = win.x0;
        const int32_t ky0 = win.ky0, ky1 = win.ky1, kx0 = win.kx0, kx1 = win.kx1;
        for (int32_t c = 0; c < ch; ++c) {
            int32_t best = -128;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
                for (int32_t kx = kx0; kx < kx1; ++kx) {
                    const int32_t v = input[(((size_t)b * in_h + y0 + ky) * in_w + x0 + kx) * ch + c];
                    best = v > best ? v : best;
                }
            }
            output[(size_t)px * ch + c] = (int8_t)fwgen_nn_clamp(best, p->act_min, p->act_max);
        }
    }
    return FWGEN_OK;
}
