/*
 * CONV_2D int8, per-channel: the DSP-extension variant of firmware/nn/nn_conv2d_s8.c, bit-exact
 * with it (and TFLM's ConvPerChannel).
 *
 * The compiler chooses each layer's path (params.path, fwgen.compiler.ops.conv2d.conv2d_path)
 * and lists the paths a model takes in the generated fwgen_nn_paths.h: only those are compiled,
 * and a path left out, or a layer beyond its path's limits, is refused (FWGEN_ERR_ARG).
 *
 * 1CH: one input channel into many (micro_speech's and Yamnet's first layers),
 * nn/dsp/nn_dsp_conv1ch.h. Otherwise each output pixel's window (per group) is widened once into
 * an int16 column with the input offset added (nn/dsp/nn_dsp.h): a 1x1 convolution takes the
 * input pixel's channels as they lie, any other gathers the window first, padding taps getting
 * the input zero point so that they add 0. SMLAD dot products of the column with the filter rows
 * ([out_c][kh][kw][in_c], the column's order) then give two output channels of two pixels at a
 * time (PAIR: one filter word serves four products; an odd count's last pixel is computed as a
 * pair with itself), or of one pixel (PIXEL, windows of more than CONV_PAIR_TAPS_MAX taps);
 * requantization is inline. Windows of more than CONV_TAPS_MAX taps take the portable loop
 * (GENERIC, inline requantization). Pixels go in the portable kernel's order (`reverse` too); a
 * pair reads both windows before it writes either output, and no pixel reads more than its own
 * window, so the output may overlap the input as the memory planner lets it.
 */
#include "nn/nn.h"
#include "nn/nn_window.h"
#include "nn/dsp/nn_dsp.h"

/* The paths this build compiles: those the generated fwgen_nn_paths.h lists (the model's layers'
 * choices), or every one where there is none (the kernel tests' images). */
#if defined(__has_include)
#if __has_include("fwgen_nn_paths.h")
#include "fwgen_nn_paths.h"
#endif
#endif
#ifndef FWGEN_NN_PATHS_LISTED
#define FWGEN_NN_CONV2D_USES_1CH 1
#define FWGEN_NN_CONV2D_USES_PAIR 1
#define FWGEN_NN_CONV2D_USES_PIXEL 1
#define FWGEN_NN_CONV2D_USES_GENERIC 1
#endif
#ifndef FWGEN_NN_CONV2D_USES_1CH
#define FWGEN_NN_CONV2D_USES_1CH 0
#endif
#ifndef FWGEN_NN_CONV2D_USES_PAIR
#define FWGEN_NN_CONV2D_USES_PAIR 0
#endif
#ifndef FWGEN_NN_CONV2D_USES_PIXEL
#define FWGEN_NN_CONV2D_USES_PIXEL 0
#endif
#ifndef FWGEN_NN_CONV2D_USES_GENERIC
#define FWGEN_NN_CONV2D_USES_GENERIC 0
#endif
#if defined(FWGEN_NN_PATHS_LISTED) && !defined(FWGEN_NN_1CH_USES_3X3)
#define FWGEN_NN_1CH_USES_3X3 0   /* no 3x3 layer on the 1CH path */
#endif
#if FWGEN_NN_CONV2D_USES_1CH
#include "nn/dsp/nn_dsp_conv1ch.h"
#endif

#define CONV_TAPS_MAX 512        /* taps of one window (int8 gather + int16 column, stack) */
#define CONV_PAIR_TAPS_MAX 256   /* taps of the windows of the two-pixel path */

typedef struct {
    const fwgen_nn_conv_params_t *p;
    const int8_t *input;
    const int8_t *filter;
    const int32_t *bias;
    int8_t *output;
    const int32_t *multiplier;  /* copies of q's arrays and p's output fields, so that the byte */
    const int8_t *shift;        /* stores of the output do not make the compiler reload them */
    int32_t output_offset, act_min, act_max;
    int32_t groups, per_group, taps;
    int32_t rshift;             /* fwgen_nn_dsp_rshift_only() of the call */
} conv_call_t;

#if FWGEN_NN_CONV2D_USES_PIXEL || FWGEN_NN_CONV2D_USES_GENERIC
static inline int8_t conv_out(const conv_call_t *c, int32_t oc, int32_t acc)
{
    return fwgen_nn_dsp_output(acc, c->multiplier[oc], c->shift[oc], c->output_offset,
                               c->act_min, c->act_max);
}

#endif

#if FWGEN_NN_CONV2D_USES_PAIR || FWGEN_NN_CONV2D_USES_PIXEL
/* The int8 taps of pixel `px`, group `g`, in filter order: the input itself for a 1x1
 * convolution, else gathered into `window`. */
static const int8_t *conv_taps(const conv_call_t *c, const fwgen_nn_window_t *win, int32_t g,
                               int8_t *window)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, in_c = p->input.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w, k_c = p->filter.c;
    const int8_t *in_b = c->input + (size_t)win->b * p->input.h * in_w * in_c + g * k_c;
    if (k_h == 1 && k_w == 1 && win->ky1 == 1 && win->kx1 == 1) {
        return in_b + ((size_t)win->y0 * in_w + win->x0) * in_c;
    }
    const int8_t zero_point = (int8_t)(-p->input_offset);
    const int32_t row_bytes = k_w * k_c;
    int8_t *dst = window;
    for (int32_t ky = 0; ky < k_h; ++ky, dst += row_bytes) {
        if (ky < win->ky0 || ky >= win->ky1) {
            fwgen_nn_dsp_fill(dst, zero_point, row_bytes);
            continue;
        }
        const int8_t *src = in_b + ((size_t)(win->y0 + ky * p->dilation_h) * in_w + win->x0 +
                                    win->kx0 * p->dilation_w) * in_c;
        fwgen_nn_dsp_fill(dst, zero_point, win->kx0 * k_c);
        if (p->dilation_w == 1 && k_c == in_c) {   /* the row's taps lie side by side */
            fwgen_nn_dsp_copy(dst + win->kx0 * k_c, src, (win->kx1 - win->kx0) * k_c);
        } else {
            for (int32_t kx = win->kx0; kx < win->kx1; ++kx, src += p->dilation_w * in_c) {
                fwgen_nn_dsp_copy(dst + kx * k_c, src, k_c);
            }
        }
        fwgen_nn_dsp_fill(dst + win->kx1 * k_c, zero_point, (k_w - win->kx1) * k_c);
    }
    return window;
}

#endif

#if FWGEN_NN_CONV2D_USES_PIXEL
/* The window of pixel `px`, group `g`, in the column layout. */
static void conv_column(const conv_call_t *c, const fwgen_nn_window_t *win, int32_t g,
                        int8_t *window, int32_t *col)
{
    fwgen_nn_dsp_widen(conv_taps(c, win, g, window), c->taps, c->p->input_offset, col);
}

#endif

#if FWGEN_NN_CONV2D_USES_PAIR || FWGEN_NN_CONV2D_USES_PIXEL || FWGEN_NN_CONV2D_USES_GENERIC
static fwgen_nn_window_t conv_window(const conv_call_t *c, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    return fwgen_nn_window(px, &p->input, &p->output, p->filter.h, p->filter.w, p->stride_h,
                           p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left);
}

#endif

#if FWGEN_NN_CONV2D_USES_PIXEL
/* Output channels of group `g` from one column. */
static void conv_outputs(const conv_call_t *c, const int32_t *col, int32_t g, int8_t *out_px)
{
    const int32_t taps = c->taps, end = (g + 1) * c->per_group;
    int32_t oc = g * c->per_group;
    for (; oc + 2 <= end; oc += 2) {
        int32_t a0 = c->bias != NULL ? c->bias[oc] : 0;
        int32_t a1 = c->bias != NULL ? c->bias[oc + 1] : 0;
        const int8_t *w0 = c->filter + (size_t)oc * taps;
        fwgen_nn_dsp_dot2(col, w0, w0 + taps, taps, &a0, &a1);
        out_px[oc] = conv_out(c, oc, a0);
        out_px[oc + 1] = conv_out(c, oc + 1, a1);
    }
    if (oc < end) {
        const int32_t a = fwgen_nn_dsp_dot(col, c->filter + (size_t)oc * taps, taps,
                                           c->bias != NULL ? c->bias[oc] : 0);
        out_px[oc] = conv_out(c, oc, a);
    }
}

/* One pixel, window up to CONV_TAPS_MAX taps. */
static __attribute__((noinline)) void conv_pixel(const conv_call_t *c, int32_t px)
{
    const fwgen_nn_window_t win = conv_window(c, px);
    int8_t window[CONV_TAPS_MAX];
    int32_t col[FWGEN_NN_DSP_COL_WORDS_MAX(CONV_TAPS_MAX)];
    int8_t *out_px = c->output + (size_t)px * c->p->output.c;
    for (int32_t g = 0; g < c->groups; ++g) {
        conv_column(c, &win, g, window, col);
        conv_outputs(c, col, g, out_px);
    }
}

#endif

#if FWGEN_NN_CONV2D_USES_PAIR
/* Two pixels, windows up to CONV_PAIR_TAPS_MAX taps: both windows are read before either
 * output is written, and each filter word serves both. */
static __attribute__((noinline)) void conv_pixel_pair(const conv_call_t *c, int32_t px0,
                                                      int32_t px1)
{
    const fwgen_nn_window_t win0 = conv_window(c, px0), win1 = conv_window(c, px1);
    int8_t window0[CONV_PAIR_TAPS_MAX], window1[CONV_PAIR_TAPS_MAX];
    int32_t col[2 * FWGEN_NN_DSP_COL_WORDS_MAX(CONV_PAIR_TAPS_MAX)];
    const int32_t out_c = c->p->output.c, taps = c->taps, per_group = c->per_group;
    const int32_t *bias = c->bias, *mult = c->multiplier;
    const int8_t *shift = c->shift;
    const int32_t out_off = c->output_offset, lo = c->act_min, hi = c->act_max;
    const int rs = c->rshift;   /* a local: the byte stores below may alias *c */
    int8_t *out0 = c->output + (size_t)px0 * out_c;
    int8_t *out1 = c->output + (size_t)px1 * out_c;
    for (int32_t g = 0; g < c->groups; ++g) {
        fwgen_nn_dsp_widen_pair(conv_taps(c, &win0, g, window0), conv_taps(c, &win1, g, window1),
                                taps, c->p->input_offset, col);
        const int32_t end = (g + 1) * per_group;
        int32_t oc = g * per_group;
        for (; oc + 2 <= end; oc += 2) {
            int32_t acc[4] = {0, 0, 0, 0};
            if (bias != NULL) {
                acc[0] = acc[2] = bias[oc];
                acc[1] = acc[3] = bias[oc + 1];
            }
            fwgen_nn_dsp_dot2x2(col, c->filter + (size_t)oc * taps, taps, acc);
            const int32_t m0 = mult[oc], s0 = shift[oc], m1 = mult[oc + 1], s1 = shift[oc + 1];
            out0[oc] = fwgen_nn_dsp_out(rs, acc[0], m0, s0, out_off, lo, hi);
            out0[oc + 1] = fwgen_nn_dsp_out(rs, acc[1], m1, s1, out_off, lo, hi);
            out1[oc] = fwgen_nn_dsp_out(rs, acc[2], m0, s0, out_off, lo, hi);
            out1[oc + 1] = fwgen_nn_dsp_out(rs, acc[3], m1, s1, out_off, lo, hi);
        }
        if (oc < end) {
            /* the last channel of an odd group: both pixels against one row, scalar */
            const int8_t *w = c->filter + (size_t)oc * taps;
            int32_t a0 = bias != NULL ? bias[oc] : 0, a1 = a0;
            const int32_t *p = col;
            int32_t k = 0;
            for (; k + 4 <= taps; k += 4, p += 4) {
                const uint32_t f = fwgen_nn_dsp_load4(w + k);
                const int32_t fe = __sxtb16((int32_t)f), fo = fwgen_nn_dsp_sxtb16_ror8(f);
                a0 = __smlad(p[1], fo, __smlad(p[0], fe, a0));
                a1 = __smlad(p[3], fo, __smlad(p[2], fe, a1));
            }
            for (; k < taps; ++k, p += 2) {
                a0 += p[0] * w[k];
                a1 += p[1] * w[k];
            }
            out0[oc] = fwgen_nn_dsp_output(a0, mult[oc], shift[oc], out_off, lo, hi);
            out1[oc] = fwgen_nn_dsp_output(a1, mult[oc], shift[oc], out_off, lo, hi);
        }
    }
}

#endif

#if FWGEN_NN_CONV2D_USES_GENERIC
/* Windows too big for the stack column: the portable loop, requantization inline. */
static __attribute__((noinline)) void conv_generic(const conv_call_t *c, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, in_c = p->input.c;
    const int32_t k_w = p->filter.w, k_c = p->filter.c;
    const fwgen_nn_window_t win = conv_window(c, px);
    const int8_t *in_b = c->input + (size_t)win.b * p->input.h * in_w * in_c;
    int8_t *out_px = c->output + (size_t)px * p->output.c;
    for (int32_t oc = 0; oc < p->output.c; ++oc) {
        const int32_t group = oc / c->per_group;
        const int8_t *w_oc = c->filter + (size_t)oc * c->taps;
        int32_t acc = c->bias != NULL ? c->bias[oc] : 0;
        for (int32_t ky = win.ky0; ky < win.ky1; ++ky) {
            const int32_t iy = win.y0 + ky * p->dilation_h;
            for (int32_t kx = win.kx0; kx < win.kx1; ++kx) {
                const int32_t ix = win.x0 + kx * p->dilation_w;
                const int8_t *in_px = in_b + ((size_t)iy * in_w + ix) * in_c + group * k_c;
                const int8_t *w = w_oc + ((size_t)ky * k_w + kx) * k_c;
                for (int32_t ic = 0; ic < k_c; ++ic) {
                    acc += (in_px[ic] + p->input_offset) * w[ic];
                }
            }
        }
        out_px[oc] = conv_out(c, oc, acc);
    }
}

#endif

fwgen_status_t fwgen_nn_conv2d_s8(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                                  const int8_t *input, const int8_t *filter, const int32_t *bias,
                                  int8_t *output)
{
    if (!fwgen_nn_conv2d_args_ok(p, q, input, filter, output)) {
        return FWGEN_ERR_ARG;
    }
#if FWGEN_NN_CONV2D_USES_1CH
    if (p->path == FWGEN_NN_CONV_PATH_1CH) {   /* 1 -> C: nn_dsp_conv1ch.h */
        if (p->filter.c != 1 || !fwgen_nn_dsp_1ch_fits(p)) {
            return FWGEN_ERR_ARG;
        }
        fwgen_nn_dsp_conv1ch(p, q, input, filter, 1, p->filter.h * p->filter.w, bias, output);
        return FWGEN_OK;
    }
#endif
    const int32_t groups = p->input.c / p->filter.c;
    const conv_call_t c = {p, input, filter, bias, output, q->multiplier, q->shift,
                           p->output_offset, p->act_min, p->act_max, groups,
                           p->output.c / groups, p->filter.h * p->filter.w * p->filter.c,
                           fwgen_nn_dsp_rshift_only(q->shift, p->output.c, p->act_min,
                                                    p->act_max)};
    const int32_t pixels = p->output.n * p->output.h * p->output.w;
    switch (p->path) {
#if FWGEN_NN_CONV2D_USES_PAIR
    case FWGEN_NN_CONV_PATH_PAIR:
        if (c.taps > CONV_PAIR_TAPS_MAX) {
            return FWGEN_ERR_ARG;
        }
        for (int32_t i = 0; i < pixels; i += 2) {
            const int32_t j = i + 1 < pixels ? i + 1 : i;   /* an odd count's last pixel twice */
            if (p->reverse) {
                conv_pixel_pair(&c, pixels - 1 - i, pixels - 1 - j);
            } else {
                conv_pixel_pair(&c, i, j);
            }
        }
        return FWGEN_OK;
#endif
#if FWGEN_NN_CONV2D_USES_PIXEL
    case FWGEN_NN_CONV_PATH_PIXEL:
        if (c.taps > CONV_TAPS_MAX) {
            return FWGEN_ERR_ARG;
        }
        for (int32_t i = 0; i < pixels; ++i) {
            conv_pixel(&c, p->reverse ? pixels - 1 - i : i);
        }
        return FWGEN_OK;
#endif
#if FWGEN_NN_CONV2D_USES_GENERIC
    case FWGEN_NN_CONV_PATH_GENERIC:
        for (int32_t i = 0; i < pixels; ++i) {
            conv_generic(&c, p->reverse ? pixels - 1 - i : i);
        }
        return FWGEN_OK;
#endif
    default:   /* no path chosen, or one this build left out */
        (void)c;
        (void)pixels;
        return FWGEN_ERR_ARG;
    }
}
