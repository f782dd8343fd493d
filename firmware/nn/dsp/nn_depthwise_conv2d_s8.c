/*
 * DEPTHWISE_CONV_2D int8, per-channel: the DSP-extension variant of
 * firmware/nn/nn_depthwise_conv2d_s8.c, bit-exact with it (and TFLM's DepthwiseConvPerChannel).
 *
 * Paths, chosen per call from the shapes:
 *   - one input channel (TFLM micro_speech: 1 x 8, 10x8 taps): nn/dsp/nn_dsp_conv1ch.h;
 *   - depth multiplier > 1 with a small filter (micro_speech: 1 input channel x 8, 10x8 taps): the
 *     filter is transposed and widened to int16 once per call, one row of taps per output channel
 *     (<= 2 KB of stack); each pixel's window of one input channel is widened once (rows inside
 *     the input where they lie, others gathered with the input zero point in the padding taps, so
 *     they add 0), then SMLAD dot products give two output channels at a time;
 *   - depth multiplier 1 with up to 25 taps (Yamnet's 3x3 layers): four channels at a time in
 *     registers over the pixel's listed taps, SXTB16 splitting a word of 4 channels into two
 *     int16 pairs and SMLABB/SMLATT accumulating each channel; with more taps and up to 256
 *     channels, tap by tap into an accumulator per channel on the stack;
 *   - anything else: the portable loop with inline requantization.
 * Pixels are computed one at a time in the portable kernel's order (`reverse` too), reading only
 * that pixel's window, as the memory planner requires.
 */
#include "nn/nn.h"
#include "nn/nn_window.h"
#include "nn/dsp/nn_dsp.h"
#include "nn/dsp/nn_dsp_conv1ch.h"

#define DW_TAPS_MAX 256      /* window taps of the transposed-filter path */
#define DW_WIDE_MAX 512      /* words of the transposed, widened filter (stack) */
#define DW_ACC_MAX 256       /* channels of the depth-multiplier-1 path (int32 each, stack) */
#define DW_SMALL_TAPS 25     /* taps of the depth-multiplier-1 path that lists them per pixel */

typedef struct {
    const fwgen_nn_conv_params_t *p;
    const fwgen_nn_per_channel_t *q;
    const int8_t *input;
    const int8_t *filter;
    const int32_t *bias;
    int8_t *output;
    int32_t mult;
    const int32_t *multiplier;  /* q's arrays and p's output fields, copied so that the byte */
    const int8_t *shift;        /* stores of the output do not make the compiler reload them */
    int32_t output_offset, act_min, act_max;
    int32_t rshift;             /* fwgen_nn_dsp_rshift_only() of the call */
} dw_call_t;

static fwgen_nn_window_t pixel_window(const fwgen_nn_conv_params_t *p, int32_t px)
{
    return fwgen_nn_window(px, &p->input, &p->output, p->filter.h, p->filter.w, p->stride_h,
                           p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left);
}

static inline int8_t dw_out(const dw_call_t *c, int32_t oc, int32_t acc)
{
    return fwgen_nn_dsp_output(acc, c->multiplier[oc], c->shift[oc], c->output_offset,
                               c->act_min, c->act_max);
}

/* The window of input channel `ic` of one pixel, in the column layout. */
static void dw_column(const dw_call_t *c, const fwgen_nn_window_t *win, int32_t ic, int32_t *col)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, in_c = p->input.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w;
    const int8_t *in_b = c->input + (size_t)win->b * p->input.h * in_w * in_c;
    const int8_t zero_point = (int8_t)(-p->input_offset);
    int8_t window[DW_TAPS_MAX];
    if (in_c == 1 && p->dilation_w == 1 && k_w % 4 == 0) {
        /* rows of whole groups of 4 taps: a row inside the input is widened where it lies */
        const int32_t row_words = k_w / 2;
        for (int32_t ky = 0; ky < k_h; ++ky, col += row_words) {
            if (ky < win->ky0 || ky >= win->ky1) {
                memset(col, 0, (size_t)row_words * sizeof col[0]);
                continue;
            }
            const int8_t *src = in_b + (size_t)(win->y0 + ky * p->dilation_h) * in_w;
            if (win->kx0 == 0 && win->kx1 == k_w) {
                fwgen_nn_dsp_widen(src + win->x0, k_w, p->input_offset, col);
                continue;
            }
            for (int32_t kx = 0; kx < k_w; ++kx) {
                window[kx] = kx < win->kx0 || kx >= win->kx1 ? zero_point : src[win->x0 + kx];
            }
            fwgen_nn_dsp_widen(window, k_w, p->input_offset, col);
        }
        return;
    }
    int8_t *dst = window;
    const int32_t step = p->dilation_w * in_c;
    for (int32_t ky = 0; ky < k_h; ++ky, dst += k_w) {
        if (ky < win->ky0 || ky >= win->ky1) {
            fwgen_nn_dsp_fill(dst, zero_point, k_w);
            continue;
        }
        const int8_t *src = in_b + ((size_t)(win->y0 + ky * p->dilation_h) * in_w +
                                    (win->x0 + win->kx0 * p->dilation_w)) * in_c + ic;
        int32_t kx = 0;
        for (; kx < win->kx0; ++kx) {
            dst[kx] = zero_point;
        }
        for (; kx < win->kx1; ++kx, src += step) {
            dst[kx] = *src;
        }
        for (; kx < k_w; ++kx) {
            dst[kx] = zero_point;
        }
    }
    fwgen_nn_dsp_widen(window, k_h * k_w, p->input_offset, col);
}

/* Depth multiplier > 1, taps <= DW_TAPS_MAX, out_c * FWGEN_NN_DSP_COL_WORDS(taps) <=
 * DW_WIDE_MAX: one pixel, the filter already transposed and widened into `wide` (one row of
 * `row_words` words per output channel). */
static void dw_transposed(const dw_call_t *c, const int32_t *wide, int32_t row_words, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_c = p->input.c, out_c = p->output.c;
    const int32_t taps = p->filter.h * p->filter.w, mult = c->mult;
    const int32_t *bias = c->bias, *multiplier = c->multiplier;
    const int8_t *shift = c->shift;
    const int32_t out_off = c->output_offset, lo = c->act_min, hi = c->act_max;
    const fwgen_nn_window_t win = pixel_window(p, px);
    int32_t col[FWGEN_NN_DSP_COL_WORDS_MAX(DW_TAPS_MAX)];
    int8_t *out_px = c->output + (size_t)px * out_c;
    for (int32_t ic = 0; ic < in_c; ++ic) {
        dw_column(c, &win, ic, col);
        int32_t m = 0;
        for (; m + 2 <= mult; m += 2) {
            const int32_t oc = ic * mult + m;
            int32_t a0 = bias != NULL ? bias[oc] : 0;
            int32_t a1 = bias != NULL ? bias[oc + 1] : 0;
            const int32_t *w0 = wide + oc * row_words;
            fwgen_nn_dsp_dot2_wide(col, w0, w0 + row_words, taps, &a0, &a1);
            out_px[oc] = fwgen_nn_dsp_output(a0, multiplier[oc], shift[oc], out_off, lo, hi);
            out_px[oc + 1] = fwgen_nn_dsp_output(a1, multiplier[oc + 1], shift[oc + 1], out_off,
                                                 lo, hi);
        }
        if (m < mult) {
            const int32_t oc = ic * mult + m;
            int32_t a0 = bias != NULL ? bias[oc] : 0, a1 = 0;
            const int32_t *w0 = wide + oc * row_words;
            fwgen_nn_dsp_dot2_wide(col, w0, w0, taps, &a0, &a1);
            out_px[oc] = fwgen_nn_dsp_output(a0, multiplier[oc], shift[oc], out_off, lo, hi);
        }
    }
}

/* Every pixel by dw_transposed(), the filter transposed and widened first (its own frame, so
 * that the other paths do not carry its buffers on the stack). */
static __attribute__((noinline)) void dw_transposed_all(const dw_call_t *c, int32_t row_words)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t taps = p->filter.h * p->filter.w, out_c = p->output.c;
    const int32_t pixels = p->output.n * p->output.h * p->output.w;
    int32_t wide[DW_WIDE_MAX];
    int8_t row[DW_TAPS_MAX];
    for (int32_t oc = 0; oc < out_c; ++oc) {
        for (int32_t t = 0; t < taps; ++t) {
            row[t] = c->filter[t * out_c + oc];
        }
        fwgen_nn_dsp_widen(row, taps, 0, wide + oc * row_words);
    }
    for (int32_t i = 0; i < pixels; ++i) {
        dw_transposed(c, wide, row_words, p->reverse ? pixels - 1 - i : i);
    }
}

/* Depth multiplier 1, windows of up to DW_SMALL_TAPS taps (Yamnet's 3x3): the window's taps
 * inside the input are listed once per pixel, then four channels at a time accumulate over them
 * in registers (SXTB16 splits a word of 4 channels into two int16 pairs, SMLABB/SMLATT
 * accumulate each channel) and are requantized at once. */
static void dw_small(const dw_call_t *c, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, ch = p->input.c, k_w = p->filter.w;
    const int32_t off = p->input_offset;
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    const int32_t *bias = c->bias, *multiplier = c->multiplier;
    const int8_t *shift = c->shift;
    const int32_t out_off = c->output_offset, lo = c->act_min, hi = c->act_max;
    const int rs = c->rshift;   /* a local: the byte stores below may alias *c */
    const fwgen_nn_window_t win = pixel_window(p, px);
    const int8_t *in_b = c->input + (size_t)win.b * p->input.h * in_w * ch;
    const int8_t *xs[DW_SMALL_TAPS];
    const int8_t *ws[DW_SMALL_TAPS];
    int32_t n = 0;
    for (int32_t ky = win.ky0; ky < win.ky1; ++ky) {
        const int8_t *in_row = in_b + (size_t)(win.y0 + ky * p->dilation_h) * in_w * ch;
        for (int32_t kx = win.kx0; kx < win.kx1; ++kx, ++n) {
            xs[n] = in_row + (win.x0 + kx * p->dilation_w) * ch;
            ws[n] = c->filter + ((size_t)ky * k_w + kx) * ch;
        }
    }
    int8_t *out_px = c->output + (size_t)px * ch;
    int32_t k = 0;
    for (; k + 4 <= ch; k += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias != NULL) {
            a0 = bias[k];
            a1 = bias[k + 1];
            a2 = bias[k + 2];
            a3 = bias[k + 3];
        }
        for (int32_t t = 0; t < n; ++t) {
            const uint32_t xv = fwgen_nn_dsp_load4(xs[t] + k);
            const uint32_t fv = fwgen_nn_dsp_load4(ws[t] + k);
            const int32_t xe = __sxtab16(off2, (int32_t)xv);
            const int32_t xo = fwgen_nn_dsp_sxtab16_ror8(off2, xv);
            const int32_t fe = __sxtb16((int32_t)fv);
            const int32_t fo = fwgen_nn_dsp_sxtb16_ror8(fv);
            a0 = __smlabb(xe, fe, a0);
            a1 = __smlabb(xo, fo, a1);
            a2 = __smlatt(xe, fe, a2);
            a3 = __smlatt(xo, fo, a3);
        }
        out_px[k] = fwgen_nn_dsp_out(rs, a0, multiplier[k], shift[k], out_off, lo, hi);
        out_px[k + 1] = fwgen_nn_dsp_out(rs, a1, multiplier[k + 1], shift[k + 1], out_off, lo, hi);
        out_px[k + 2] = fwgen_nn_dsp_out(rs, a2, multiplier[k + 2], shift[k + 2], out_off, lo, hi);
        out_px[k + 3] = fwgen_nn_dsp_out(rs, a3, multiplier[k + 3], shift[k + 3], out_off, lo, hi);
    }
    for (; k < ch; ++k) {
        int32_t acc = bias != NULL ? bias[k] : 0;
        for (int32_t t = 0; t < n; ++t) {
            acc += (xs[t][k] + off) * ws[t][k];
        }
        out_px[k] = fwgen_nn_dsp_output(acc, multiplier[k], shift[k], out_off, lo, hi);
    }
}

/* Depth multiplier 1, up to DW_ACC_MAX channels: tap by tap over all channels, four per step
 * (SXTB16 splits a word of 4 channels into two int16 pairs, SMLABB/SMLATT accumulate each), into
 * one accumulator per channel on the stack. */
static void dw_channels(const dw_call_t *c, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, ch = p->input.c, k_w = p->filter.w;
    const int32_t off = p->input_offset;
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    const fwgen_nn_window_t win = pixel_window(p, px);
    const int8_t *in_b = c->input + (size_t)win.b * p->input.h * in_w * ch;
    int32_t acc[DW_ACC_MAX];
    if (c->bias != NULL) {
        memcpy(acc, c->bias, (size_t)ch * sizeof acc[0]);
    } else {
        memset(acc, 0, (size_t)ch * sizeof acc[0]);
    }
    const int32_t groups = ch / 4;
    for (int32_t ky = win.ky0; ky < win.ky1; ++ky) {
        const int8_t *in_row = in_b + (size_t)(win.y0 + ky * p->dilation_h) * in_w * ch;
        for (int32_t kx = win.kx0; kx < win.kx1; ++kx) {
            const int8_t *x = in_row + (win.x0 + kx * p->dilation_w) * ch;
            const int8_t *w = c->filter + ((size_t)ky * k_w + kx) * ch;
            int32_t *a = acc;
            for (int32_t g = 0; g < groups; ++g, x += 4, w += 4, a += 4) {
                const uint32_t xv = fwgen_nn_dsp_load4(x);
                const uint32_t fv = fwgen_nn_dsp_load4(w);
                const int32_t xe = __sxtab16(off2, (int32_t)xv);
                const int32_t xo = fwgen_nn_dsp_sxtab16_ror8(off2, xv);
                const int32_t fe = __sxtb16((int32_t)fv);
                const int32_t fo = fwgen_nn_dsp_sxtb16_ror8(fv);
                a[0] = __smlabb(xe, fe, a[0]);
                a[1] = __smlabb(xo, fo, a[1]);
                a[2] = __smlatt(xe, fe, a[2]);
                a[3] = __smlatt(xo, fo, a[3]);
            }
            for (int32_t k = groups * 4; k < ch; ++k) {
                acc[k] += (in_row[(win.x0 + kx * p->dilation_w) * ch + k] + off) *
                          c->filter[((size_t)ky * k_w + kx) * ch + k];
            }
        }
    }
    int8_t *out_px = c->output + (size_t)px * ch;
    for (int32_t k = 0; k < ch; ++k) {
        out_px[k] = dw_out(c, k, acc[k]);
    }
}

/* Any shape: the portable loop, requantization inline. */
static void dw_generic(const dw_call_t *c, int32_t px)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t in_w = p->input.w, in_c = p->input.c, k_w = p->filter.w, out_c = p->output.c;
    const fwgen_nn_window_t win = pixel_window(p, px);
    const int8_t *in_b = c->input + (size_t)win.b * p->input.h * in_w * in_c;
    int8_t *out_px = c->output + (size_t)px * out_c;
    for (int32_t ic = 0; ic < in_c; ++ic) {
        for (int32_t m = 0; m < c->mult; ++m) {
            const int32_t oc = ic * c->mult + m;
            int32_t acc = c->bias != NULL ? c->bias[oc] : 0;
            for (int32_t ky = win.ky0; ky < win.ky1; ++ky) {
                const int32_t iy = win.y0 + ky * p->dilation_h;
                for (int32_t kx = win.kx0; kx < win.kx1; ++kx) {
                    const int32_t ix = win.x0 + kx * p->dilation_w;
                    const int32_t x = in_b[((size_t)iy * in_w + ix) * in_c + ic];
                    acc += (x + p->input_offset) * c->filter[((size_t)ky * k_w + kx) * out_c + oc];
                }
            }
            out_px[oc] = dw_out(c, oc, acc);
        }
    }
}

fwgen_status_t fwgen_nn_depthwise_conv2d_s8(const fwgen_nn_conv_params_t *p, int32_t depth_multiplier,
                                            const fwgen_nn_per_channel_t *q, const int8_t *input,
                                            const int8_t *filter, const int32_t *bias,
                                            int8_t *output)
{
    if (!fwgen_nn_depthwise_args_ok(p, depth_multiplier, q, input, filter, output)) {
        return FWGEN_ERR_ARG;
    }
    const dw_call_t c = {p, q, input, filter, bias, output, depth_multiplier, q->multiplier,
                         q->shift, p->output_offset, p->act_min, p->act_max,
                         fwgen_nn_dsp_rshift_only(q->shift, p->output.c, p->act_min, p->act_max)};
    const int32_t taps = p->filter.h * p->filter.w, out_c = p->output.c;
    const int32_t pixels = p->output.n * p->output.h * p->output.w;
    const int32_t row_words = FWGEN_NN_DSP_COL_WORDS(taps);
    if (fwgen_nn_dsp_1ch_fits(p)) {   /* one input channel x C: nn_dsp_conv1ch.h */
        fwgen_nn_dsp_conv1ch(p, q, input, filter, out_c, 1, bias, output);
        return FWGEN_OK;
    }
    if (depth_multiplier > 1 && taps <= DW_TAPS_MAX && out_c * row_words <= DW_WIDE_MAX) {
        dw_transposed_all(&c, row_words);
        return FWGEN_OK;
    }
    void (*pixel)(const dw_call_t *, int32_t) = dw_generic;
    if (depth_multiplier == 1) {
        pixel = taps <= DW_SMALL_TAPS ? dw_small : out_c <= DW_ACC_MAX ? dw_channels : dw_generic;
    }
    for (int32_t i = 0; i < pixels; ++i) {
        pixel(&c, p->reverse ? pixels - 1 - i : i);
    }
    return FWGEN_OK;
}
