/*
 * AVERAGE_POOL_2D int8: the DSP-extension variant of firmware/nn/nn_avg_pool2d_s8.c, bit-exact
 * with it (and TFLM's reference_integer_ops::AveragePool).
 *
 * Four channels at a time: each tap's word of 4 int8 is added into two words of int16 lanes
 * (SXTAB16, and SXTAB16 of the word rotated by 8), channels (0, 2) and (1, 3), for windows of
 * up to 256 taps (256 x -128 = INT16_MIN); then each channel's rounded division (half away from
 * zero, SDIV) and clamp as the portable kernel's. Bigger windows, and a tail of < 4 channels,
 * go one channel at a time. Pixels go in the portable kernel's order (`reverse` too), each
 * reading only its own window, so the output may overlap the input as the memory planner lets it.
 */
#include "nn/nn.h"
#include "nn/nn_window.h"
#include "nn/dsp/nn_dsp.h"

#define AVG_POOL_LANE_TAPS 256   /* taps whose int8 sum an int16 lane holds */

/* The portable kernel's rounding division and clamp. */
static inline int8_t avg_pool_out(int32_t acc, int32_t count, int32_t lo, int32_t hi)
{
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return (int8_t)fwgen_nn_clamp(acc, lo, hi);
}

fwgen_status_t fwgen_nn_avg_pool2d_s8(const fwgen_nn_pool_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, ch = p->input.c;
    const int32_t out_h = p->output.h, out_w = p->output.w;
    const int32_t pixels = p->output.n * out_h * out_w;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < pixels; ++i) {
        const int32_t px = p->reverse ? pixels - 1 - i : i;
        const fwgen_nn_window_t win = fwgen_nn_window(px, &p->input, &p->output, p->filter_h, p->filter_w,
                                                      p->stride_h, p->stride_w, 1, 1, p->pad_top,
                                                      p->pad_left);
        const int32_t rows = win.ky1 - win.ky0, cols = win.kx1 - win.kx0;
        const int32_t count = rows * cols;
        if (count == 0) {
            return FWGEN_ERR_ARG;
        }
        const int8_t *first = input + (((size_t)win.b * in_h + win.y0 + win.ky0) * in_w + win.x0 + win.kx0) * ch;
        const size_t row_step = (size_t)in_w * ch;
        int8_t *out = output + (size_t)px * ch;
        int32_t c = 0;
        if (count <= AVG_POOL_LANE_TAPS) {
            for (; c + 4 <= ch; c += 4) {
                int32_t even = 0, odd = 0;   /* channels (c, c + 2) and (c + 1, c + 3) */
                const int8_t *row = first + c;
                for (int32_t ky = 0; ky < rows; ++ky, row += row_step) {
                    const int8_t *tap = row;
                    for (int32_t kx = 0; kx < cols; ++kx, tap += ch) {
                        const uint32_t x = fwgen_nn_dsp_load4(tap);
                        even = __sxtab16(even, (int32_t)x);
                        odd = fwgen_nn_dsp_sxtab16_ror8(odd, x);
                    }
                }
                out[c] = avg_pool_out((int16_t)even, count, lo, hi);
                out[c + 1] = avg_pool_out((int16_t)odd, count, lo, hi);
                out[c + 2] = avg_pool_out(even >> 16, count, lo, hi);
                out[c + 3] = avg_pool_out(odd >> 16, count, lo, hi);
            }
        }
        for (; c < ch; ++c) {
            int32_t acc = 0;
            const int8_t *row = first + c;
            for (int32_t ky = 0; ky < rows; ++ky, row += row_step) {
                for (int32_t kx = 0; kx < cols; ++kx) {
                    acc += row[(size_t)kx * ch];
                }
            }
            out[c] = avg_pool_out(acc, count, lo, hi);
        }
    }
    return FWGEN_OK;
}
