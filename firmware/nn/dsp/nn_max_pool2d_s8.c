/*
 * MAX_POOL_2D int8: the DSP-extension variant of firmware/nn/nn_max_pool2d_s8.c, bit-exact with
 * it (and TFLM's reference_integer_ops::MaxPool).
 *
 * Four channels at a time: the running maximum of 4 int8 lanes is SSUB8 (the GE flags: which
 * lanes of the tap are >= the maximum's) then SEL, two instructions per tap and word; the clamp
 * to the activation range is the same pair against the range's bounds in every lane. A tail of
 * < 4 channels goes one by one. Pixels go in the portable kernel's order (`reverse` too), each
 * reading only its own window, so the output may overlap the input as the memory planner lets it.
 */
#include "nn/nn.h"
#include "nn/nn_window.h"
#include "nn/dsp/nn_dsp.h"

/* Lane by lane: x where a >= b, else y (SSUB8 sets the GE flags, SEL reads them: one asm, so
 * that nothing comes between). */
static inline uint32_t max_pool_ge_sel(uint32_t a, uint32_t b, uint32_t x, uint32_t y)
{
    uint32_t t, r;
    __asm__("ssub8 %0, %2, %3\n\t"
            "sel   %1, %4, %5"
            : "=&r"(t), "=r"(r)
            : "r"(a), "r"(b), "r"(x), "r"(y));
    (void)t;
    return r;
}

fwgen_status_t fwgen_nn_max_pool2d_s8(const fwgen_nn_pool_params_t *p, const int8_t *input, int8_t *output)
{
    if (p == NULL || input == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, ch = p->input.c;
    const int32_t out_h = p->output.h, out_w = p->output.w;
    const int32_t pixels = p->output.n * out_h * out_w;
    const int32_t lo = fwgen_nn_clamp(p->act_min, -128, 127), hi = fwgen_nn_clamp(p->act_max, -128, 127);
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    for (int32_t i = 0; i < pixels; ++i) {
        const int32_t px = p->reverse ? pixels - 1 - i : i;
        const fwgen_nn_window_t win = fwgen_nn_window(px, &p->input, &p->output, p->filter_h, p->filter_w,
                                                      p->stride_h, p->stride_w, 1, 1, p->pad_top,
                                                      p->pad_left);
        const int8_t *first = input + (((size_t)win.b * in_h + win.y0 + win.ky0) * in_w + win.x0 + win.kx0) * ch;
        const int32_t rows = win.ky1 - win.ky0, cols = win.kx1 - win.kx0;
        int8_t *out = output + (size_t)px * ch;
        int32_t c = 0;
        for (; c + 4 <= ch; c += 4) {
            uint32_t best = 0x80808080u;   /* -128 in every lane */
            const int8_t *row = first + c;
            for (int32_t ky = 0; ky < rows; ++ky, row += (size_t)in_w * ch) {
                const int8_t *tap = row;
                for (int32_t kx = 0; kx < cols; ++kx, tap += ch) {
                    const uint32_t x = fwgen_nn_dsp_load4(tap);
                    best = max_pool_ge_sel(x, best, x, best);
                }
            }
            best = max_pool_ge_sel(best, lo4, best, lo4);   /* max(best, lo) */
            best = max_pool_ge_sel(best, hi4, hi4, best);   /* min(best, hi) */
            memcpy(out + c, &best, sizeof best);
        }
        for (; c < ch; ++c) {
            int32_t best = -128;
            const int8_t *row = first + c;
            for (int32_t ky = 0; ky < rows; ++ky, row += (size_t)in_w * ch) {
                for (int32_t kx = 0; kx < cols; ++kx) {
                    const int32_t v = row[(size_t)kx * ch];
                    best = v > best ? v : best;
                }
            }
            out[c] = (int8_t)fwgen_nn_clamp(best, p->act_min, p->act_max);
        }
    }
    return FWGEN_OK;
}
