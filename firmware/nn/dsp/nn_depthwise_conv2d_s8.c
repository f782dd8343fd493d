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
 *   - depth multiplier 1, right shifts 1..22 and the whole int8 clamp (int8 models' layers:
 *     Yamnet's 3x3, TENet's 9x1), <= 256 channels, <= 25 taps, dilation any: "tabled", a table
 *     of the call's filter (widened, doubled), accumulator starts (input offset folded in) and
 *     requantization words built once per call on the stack (2,176 B; wider layers in tiles
 *     of channels, one after the other over all pixels, where the output does not overlap the
 *     input or lies a whole number of pixels from it), then four channels at a time in
 *     registers (SXTB16 on a word of 4 input channels, SMLABB/SMLATT), requantized
 *     inline in 5 instructions each (SMMLAR, ASR, SSAT); 9-tap windows (3x3, 9x1, 1x9) with
 *     channels a multiple of 4 in asm loops: a row's pixels whose windows lie inside the input
 *     (or a one-column output's) as 3 rows of 3 taps, the others over a list of tap offsets;
 *   - other depth multiplier 1 calls with up to 25 taps: four channels at a time in
 *     registers over the pixel's listed taps, SXTB16 splitting a word of 4 channels into two
 *     int16 pairs and SMLABB/SMLATT accumulating each channel; with more taps and up to 256
 *     channels, tap by tap into an accumulator per channel on the stack;
 *   - anything else: the portable loop with inline requantization.
 * Pixels are computed one at a time in the portable kernel's order (`reverse` too), reading only
 * that pixel's window, as the memory planner requires (the tabled path's tiles: per tile).
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

/* ---------------------------------------------------------------- depth multiplier 1, tabled
 *
 * Where a call allows it (dw_table_build), every pixel takes one table built on the stack once
 * per call, group of 4 channels after group: the 4 accumulator starts, each tap's filter
 * widened to two int16-pair words (SXTB16 lanes: channels k, k+2 and k+1, k+3), then the 4
 * channels' requantization words (M, c, r). The arithmetic, exact in int32 under the checked
 * bounds:
 *   - the accumulator is doubled (the filter taps are 2w): 2 acc;
 *   - the input offset is folded into the start, 2 (bias + off * sum_t w_t), the taps read the
 *     input bytes as they are, and a tap outside the input reads the input zero point (-off)
 *     from a vector of it, so that it adds -off * w and the fold's +off * w cancel;
 *   - TFLM's doubling high multiply rounded at 2^31 is SMMLAR of the doubled accumulator:
 *     (2 acc * M + 2^31) >> 32 = (acc * M + 2^30) >> 31, with the rounding term c added;
 *   - its rounding right shift by r >= 1 (half away from zero) is (high + 2^(r-1) - [high < 0])
 *     >> r; [acc < 0] may stand for [high < 0] (they differ only where high = 0, and there
 *     (2^(r-1) - 1) >> r = 0 too); the output offset o is added before the shift as o << r:
 *     c = 2^(r-1) + (o << r), so out = SSAT8((SMMLAR(2acc, M, c) + (2acc >> 31)) >> r).
 * The last group's last r word carries DW_TAB_LAST (bit 8: ASR reads a register's low byte), so
 * that the asm loop needs no end pointer.
 */
#define DW_TAB_CH_MAX 256    /* channels of the tabled path (its zero-point vector) */
#define DW_TAB_TAPS_MAX 25   /* window taps of the tabled path */
#define DW_TAB_WORDS 544     /* table words on the stack (2,176 B): 64 channels of a 3x3 filter
                              * (wider layers in tiles of channels: dw_tab_tiles_safe) */
#define DW_TAB_BIAS_MAX (1 << 28)  /* |bias| bound of the tabled path's arithmetic */
#define DW_TAB_R_MAX 22            /* right shifts of the tabled path: |c| < 2^30 */
#define DW_TAB_LAST 0x100

/* Table words of one group of 4 channels: starts, 2 per tap, 3 per channel. */
static inline int32_t dw_tab_group_words(int32_t taps)
{
    return 4 + 2 * taps + 12;
}

/* (SMMLAR: acc + (a * b + 2^31) >> 32, the high word rounded.) */
static inline int32_t dw_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* One output byte from a doubled accumulator and its channel's words (M, c, r). */
static inline int8_t dw_tab_out(int32_t acc2, const int32_t *rq)
{
    const int32_t v = dw_smmlar(acc2, rq[0], rq[1]) + (acc2 >> 31);
    return (int8_t)__ssat(v >> (rq[2] & 0xFF), 8);
}

/* Whether a call fits the tabled path's arithmetic and sizes, checked once for all its channels
 * (a table is built per tile of channels, and a tile's outputs may already overwrite the input
 * when the next one is built: no build may fail). */
static int dw_tab_check(const dw_call_t *c)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t ch = p->input.c, taps = p->filter.h * p->filter.w, groups = ch / 4;
    if (!c->rshift || groups == 0 || ch > DW_TAB_CH_MAX || taps > DW_TAB_TAPS_MAX) {
        return 0;
    }
    for (int32_t k = 0; k < 4 * groups; ++k) {
        const int32_t b = c->bias != NULL ? c->bias[k] : 0;
        /* |acc| <= |b| + 255 * 128 * 25 < 2^29; |c| <= 2^21 + 128 * 2^22 < 2^30 */
        if ((uint32_t)(b + DW_TAB_BIAS_MAX - 1) > 2u * DW_TAB_BIAS_MAX - 2u ||
            (uint32_t)(-c->shift[k] - 1) >= DW_TAB_R_MAX || c->multiplier[k] < 0) {
            return 0;
        }
    }
    return 1;
}

/* Build the table of channels [k0, k0 + 4 groups) of a call dw_tab_check() passed. */
static void dw_table_build(const dw_call_t *c, int32_t *tab, int32_t k0, int32_t groups)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t ch = p->input.c, taps = p->filter.h * p->filter.w;
    const int32_t off = p->input_offset, out_off = c->output_offset;
    const int32_t *bias = c->bias, *multiplier = c->multiplier;
    const int8_t *shift = c->shift;
    for (int32_t g = 0; g < groups; ++g, tab += dw_tab_group_words(taps)) {
        /* the filter words widened and doubled, each channel's sum of taps (int16 lanes: <= 25
         * * 128) */
        int32_t *f = tab + 4;
        int32_t sum_e = 0, sum_o = 0;
        const int8_t *w = c->filter + k0 + 4 * g;
        for (int32_t t = 0; t < taps; ++t, w += ch, f += 2) {
            const uint32_t wv = fwgen_nn_dsp_load4(w);
            const int32_t we = __sxtb16((int32_t)wv), wo = fwgen_nn_dsp_sxtb16_ror8(wv);
            sum_e = __sadd16(sum_e, we);
            sum_o = __sadd16(sum_o, wo);
            f[0] = __sadd16(we, we);
            f[1] = __sadd16(wo, wo);
        }
        const int32_t sums[4] = {(int16_t)sum_e, (int16_t)sum_o, sum_e >> 16, sum_o >> 16};
        for (int32_t j = 0; j < 4; ++j, f += 3) {
            const int32_t k = k0 + 4 * g + j, r = -shift[k];
            tab[j] = 2 * ((bias != NULL ? bias[k] : 0) + off * sums[j]);
            f[0] = multiplier[k];
            f[1] = (1 << (r - 1)) + out_off * (1 << r);
            f[2] = r;
        }
    }
    tab[-1] |= DW_TAB_LAST;
}

/* Every group of one pixel, any number of taps: the channels' doubled accumulators over
 * x = base + ofs[t], requantized. */
static __attribute__((noinline)) void dw_tab_groups(const int32_t *tab, const int32_t *ofs,
                                                    int32_t taps, const int8_t *base,
                                                    int8_t *out, int32_t groups)
{
    const int32_t words = dw_tab_group_words(taps);
    for (int32_t g = 0; g < groups; ++g, tab += words, base += 4, out += 4) {
        int32_t a0 = tab[0], a1 = tab[1], a2 = tab[2], a3 = tab[3];
        const int32_t *f = tab + 4;
        for (int32_t t = 0; t < taps; ++t, f += 2) {
            const uint32_t xv = fwgen_nn_dsp_load4(base + ofs[t]);
            const int32_t xe = __sxtb16((int32_t)xv);
            const int32_t xo = fwgen_nn_dsp_sxtb16_ror8(xv);
            a0 = __smlabb(xe, f[0], a0);
            a2 = __smlatt(xe, f[0], a2);
            a1 = __smlabb(xo, f[1], a1);
            a3 = __smlatt(xo, f[1], a3);
        }
        out[0] = dw_tab_out(a0, f);
        out[1] = dw_tab_out(a1, f + 3);
        out[2] = dw_tab_out(a2, f + 6);
        out[3] = dw_tab_out(a3, f + 9);
    }
}

/* One tap of the 9-tap loop: the 4 channels' input word at base + ofs[t] split into its
 * SXTB16 lanes (r4: k, k+2; r5: k+1, k+3), the tap's filter words (r6, r8), 4 MACs. */
#define DW_TAP9(t)                                   \
    "ldr    r5, [%[ofs], #" #t "*4]\n\t"              \
    "ldr    r5, [%[base], r5]\n\t"                    \
    "sxtb16 r4, r5\n\t"                               \
    "sxtb16 r5, r5, ror #8\n\t"                       \
    "ldrd   r6, r8, [%[tab]], #8\n\t"                 \
    "smlabb %[a0], r4, r6, %[a0]\n\t"                 \
    "smlatt %[a2], r4, r6, %[a2]\n\t"                 \
    "smlabb %[a1], r5, r8, %[a1]\n\t"                 \
    "smlatt %[a3], r5, r8, %[a3]\n\t"
/* One channel's requantization (dw_tab_out) and store. */
#define DW_OUT9(a)                                   \
    "ldmia  %[tab]!, {r4, r5, r6}\n\t"                \
    "smmlar r4, " a ", r4, r5\n\t"                    \
    "add    r4, r4, " a ", asr #31\n\t"               \
    "asr    r4, r4, r6\n\t"                           \
    "ssat   r4, #8, r4\n\t"                           \
    "strb   r4, [%[out]], #1\n\t"

/* A run of pixels of 9 taps (3x3, 9x1) whose windows share the tap offsets `ofs`, channels a
 * multiple of 4: one asm loop of 109 instructions per group of 4 channels (36 MACs; GCC's took
 * about 135, reloading filter words it had spilled) and 9 per pixel. Pixel i's window starts at
 * base + i * (run[0] + 4 * groups) and its output at out + i * (run[1] + 4 * groups);
 * run[2] is the number of pixels, run[3] the table. */
static __attribute__((noinline)) void dw_tab_run9(const int32_t *ofs, const int8_t *base,
                                                  int8_t *out, int32_t run[4])
{
    register int32_t a0 __asm__("r0");
    register int32_t a1 __asm__("r1");
    register int32_t a2 __asm__("r2");
    register int32_t a3 __asm__("r3");
    const int32_t *tab;
    __asm__ volatile("0:\n\t"
                     "ldr    %[tab], [%[run], #12]\n\t"
                     "1:\n\t"
                     "ldmia  %[tab]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
                     DW_TAP9(0) DW_TAP9(1) DW_TAP9(2) DW_TAP9(3) DW_TAP9(4) DW_TAP9(5)
                     DW_TAP9(6) DW_TAP9(7) DW_TAP9(8)
                     DW_OUT9("%[a0]") DW_OUT9("%[a1]") DW_OUT9("%[a2]") DW_OUT9("%[a3]")
                     "add    %[base], %[base], #4\n\t"
                     "tst    r6, #256\n\t"
                     "beq    1b\n\t"
                     "ldmia  %[run], {r4, r5, r6}\n\t"
                     "add    %[base], %[base], r4\n\t"
                     "add    %[out], %[out], r5\n\t"
                     "subs   r6, r6, #1\n\t"
                     "str    r6, [%[run], #8]\n\t"
                     "bne    0b"
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),
                       [tab] "=&r"(tab), [base] "+r"(base), [out] "+r"(out)
                     : [ofs] "r"(ofs), [run] "r"(run)
                     : "r4", "r5", "r6", "r8", "cc", "memory");
}

typedef struct {
    const dw_call_t *c;
    const int32_t *tab;
    const int32_t *inner;       /* tap offsets of a window inside the input */
    const int8_t *zero_point;   /* ch bytes of the input zero point */
    int32_t taps;
    int32_t k0, groups;         /* the tile: channels [k0, k0 + 4 groups) */
    int32_t k_end;              /* and one at a time up to k_end (the last tile: the tail) */
} dw_tab_t;

/* The byte offset from the input of tap (0, 0) at channel 0 of the window at input row y0,
 * column x0 of batch b (negative, or past a row, where the window starts in the padding). */
static inline int32_t dw_tab_offset(const fwgen_nn_conv_params_t *p, int32_t b, int32_t y0,
                                    int32_t x0)
{
    return ((b * p->input.h + y0) * p->input.w + x0) * p->input.c;
}

/* One pixel (b, oy, ox) by the table, a border pixel's taps in the padding at the zero point. */
static void dw_tab_pixel(const dw_tab_t *t, int32_t b, int32_t oy, int32_t ox)
{
    const dw_call_t *c = t->c;
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t ch = p->input.c, k_h = p->filter.h, k_w = p->filter.w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *origin = (const int8_t *)((uintptr_t)c->input +
                                            (uintptr_t)dw_tab_offset(p, b, y0, x0));
    const int32_t pad = (int32_t)((uintptr_t)t->zero_point - (uintptr_t)origin);
    int32_t ofs[DW_TAB_TAPS_MAX];
    for (int32_t ky = 0, k = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * p->dilation_h;
        for (int32_t kx = 0; kx < k_w; ++kx, ++k) {
            const int32_t x = x0 + kx * p->dilation_w;
            ofs[k] = y >= 0 && y < p->input.h && x >= 0 && x < p->input.w ? t->inner[k] : pad;
        }
    }
    int8_t *out_px = c->output + ((size_t)(b * p->output.h + oy) * p->output.w + ox) * ch;
    if (t->taps == 9 && ch % 4 == 0) {
        int32_t run[4] = {0, 0, 1, (int32_t)(uintptr_t)t->tab};
        dw_tab_run9(ofs, origin + t->k0, out_px + t->k0, run);
        return;
    }
    dw_tab_groups(t->tab, ofs, t->taps, origin + t->k0, out_px + t->k0, t->groups);
    for (int32_t k = t->k0 + t->groups * 4; k < t->k_end; ++k) {   /* the tail, one at a time */
        int32_t acc = c->bias != NULL ? c->bias[k] : 0;
        for (int32_t i = 0; i < t->taps; ++i) {
            acc += (origin[ofs[i] + k] + p->input_offset) * c->filter[i * ch + k];
        }
        out_px[k] = dw_out(c, k, acc);
    }
}

/* One tap of a row of 3 in dw_tab_rows9: the input word at [p + off] (r5), split, the tap's
 * filter words at [tab + fofs] (r6, r8), 4 MACs. */
#define DW_ROW_TAP(load, fload)                      \
    load                                              \
    "sxtb16 r4, r5\n\t"                               \
    "sxtb16 r5, r5, ror #8\n\t"                       \
    fload                                             \
    "smlabb r0, r4, r6, r0\n\t"                       \
    "smlatt r2, r4, r6, r2\n\t"                       \
    "smlabb r1, r5, r8, r1\n\t"                       \
    "smlatt r3, r5, r8, r3\n\t"
/* A row of 3 taps at p, p + col, p + 2 col (col in r12); p and the table advance. */
#define DW_ROW(p)                                                                       \
    DW_ROW_TAP("ldr    r5, [" p ", r12]\n\t", "ldrd   r6, r8, [lr, #8]\n\t")             \
    DW_ROW_TAP("ldr    r5, [" p ", r12, lsl #1]\n\t", "ldrd   r6, r8, [lr, #16]\n\t")    \
    DW_ROW_TAP("ldr    r5, [" p "], #4\n\t", "ldrd   r6, r8, [lr], #24\n\t")
/* One channel's requantization (dw_tab_out) of accumulator `a`, stored at [r7], r7 advanced. */
#define DW_ROW_OUT(a)                                \
    "ldmia  lr!, {r4, r5, r6}\n\t"                    \
    "smmlar r4, " a ", r4, r5\n\t"                    \
    "add    r4, r4, " a ", asr #31\n\t"               \
    "asr    r4, r4, r6\n\t"                           \
    "ssat   r4, #8, r4\n\t"                           \
    "strb   r4, [r7], #1\n\t"

/* A run of pixels of 9 taps whose windows lie inside the input, as 3 rows of 3 taps (3x3, 9x1,
 * 1x9) with uniform steps, channels a multiple of 4, in one asm loop of 99 instructions per
 * group of 4 channels (36 MACs): the rows' pointers and the column step in registers instead
 * of dw_tab_run9's tap offsets, which takes all 14 registers (r7 too: the firmware is built
 * -O2, without a frame pointer). `block`: the first pixel's 3 row pointers, the column step,
 * the table, the output; the table's 4 words past its last group: the row pointers' and the
 * output's steps from one pixel's end to the next's start, the pixels, the table again. */
static __attribute__((noinline)) void dw_tab_rows9(const int32_t block[6])
{
    register const int32_t *r0 __asm__("r0") = block;
    __asm__ volatile("ldr    r7, [r0, #20]\n\t"
                     "ldmia  r0, {r9, r10, r11, r12, lr}\n\t"
                     "1:\n\t"
                     "ldmia  lr!, {r0, r1, r2, r3}\n\t"
                     DW_ROW("r9") DW_ROW("r10") DW_ROW("r11")
                     DW_ROW_OUT("r0") DW_ROW_OUT("r1") DW_ROW_OUT("r2") DW_ROW_OUT("r3")
                     "tst    r6, #256\n\t"
                     "beq    1b\n\t"
                     "ldmia  lr, {r4, r5, r6, r8}\n\t"
                     "add    r9, r9, r4\n\t"
                     "add    r10, r10, r4\n\t"
                     "add    r11, r11, r4\n\t"
                     "add    r7, r7, r5\n\t"
                     "subs   r6, r6, #1\n\t"
                     "str    r6, [lr, #8]\n\t"
                     "mov    lr, r8\n\t"
                     "bne    1b"
                     : "+r"(r0)
                     :
                     : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
                       "lr", "cc", "memory");
}

/* n pixels inside the input from (b, oy, ox) on, each `step` pixels after the last (a row's,
 * or a column's where the output is one column wide), 9 taps, channels a multiple of 4: one asm
 * run. `run` is the table's 4 words past its last group. */
static void dw_tab_run(const dw_tab_t *t, int32_t *run, int32_t b, int32_t oy, int32_t ox,
                       int32_t n, int32_t step)
{
    const dw_call_t *c = t->c;
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t ch = p->input.c, row_bytes = p->input.w * ch;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *base = c->input + dw_tab_offset(p, b, y0, x0) + t->k0;
    int8_t *out_px = c->output + ((size_t)(b * p->output.h + oy) * p->output.w + ox) * ch + t->k0;
    /* the window's steps: one pixel on (along the row, or down the column), tap to tap in a
     * row of 3, row of 3 to row */
    const int32_t along = p->output.w == 1 ? p->stride_h * row_bytes : p->stride_w * ch;
    int32_t col = p->dilation_w * ch, row = p->dilation_h * row_bytes;
    if (p->filter.w == 1) {
        col = row;
        row = 3 * col;
    } else if (p->filter.h == 1) {
        row = 3 * col;
    }
    /* after a pixel's groups its row pointers and its output stand 4 groups bytes further on */
    run[0] = step * along - 4 * t->groups;
    run[1] = step * ch - 4 * t->groups;
    run[2] = n;
    run[3] = (int32_t)(uintptr_t)t->tab;
    const int32_t block[6] = {(int32_t)(uintptr_t)base, (int32_t)(uintptr_t)(base + row),
                              (int32_t)(uintptr_t)(base + 2 * row), col,
                              (int32_t)(uintptr_t)t->tab, (int32_t)(uintptr_t)out_px};
    dw_tab_rows9(block);
}

/* Every pixel of one tile of channels by its table, in the portable kernel's order: the pixels
 * of a row whose windows lie inside the input (or of the column, where the output is one
 * column wide) in one asm run (9 taps, channels a multiple of 4), the others one at a time. */
static void dw_tab_pixels(const dw_tab_t *tp, int32_t *run)
{
    const dw_tab_t t = *tp;
    const fwgen_nn_conv_params_t *p = t.c->p;
    const int32_t ch = p->input.c, in_h = p->input.h, in_w = p->input.w;
    const int32_t k_h = p->filter.h, k_w = p->filter.w, d_h = p->dilation_h, d_w = p->dilation_w;
    const int32_t out_h = p->output.h, out_w = p->output.w, s_h = p->stride_h, s_w = p->stride_w;
    /* columns [ox_lo, ox_hi) and rows [oy_lo, oy_hi) have their windows inside the input */
    const int32_t last_x = in_w - 1 - (k_w - 1) * d_w + p->pad_left;
    const int32_t last_y = in_h - 1 - (k_h - 1) * d_h + p->pad_top;
    const int32_t ox_lo = (p->pad_left + s_w - 1) / s_w, oy_lo = (p->pad_top + s_h - 1) / s_h;
    int32_t ox_hi = last_x < 0 ? 0 : last_x / s_w + 1, oy_hi = last_y < 0 ? 0 : last_y / s_h + 1;
    ox_hi = ox_hi > out_w ? out_w : ox_hi < ox_lo ? ox_lo : ox_hi;
    oy_hi = oy_hi > out_h ? out_h : oy_hi < oy_lo ? oy_lo : oy_hi;
    const int runs = t.taps == 9 && ch % 4 == 0 && ox_hi > ox_lo && oy_hi > oy_lo;
    const int32_t rev = p->reverse;
    if (runs && out_w == 1) {   /* one column: runs down it */
        for (int32_t i = 0; i < p->output.n; ++i) {
            const int32_t b = rev ? p->output.n - 1 - i : i;
            if (!rev) {
                for (int32_t oy = 0; oy < oy_lo; ++oy) {
                    dw_tab_pixel(&t, b, oy, 0);
                }
                dw_tab_run(&t, run, b, oy_lo, 0, oy_hi - oy_lo, 1);
                for (int32_t oy = oy_hi; oy < out_h; ++oy) {
                    dw_tab_pixel(&t, b, oy, 0);
                }
            } else {
                for (int32_t oy = out_h - 1; oy >= oy_hi; --oy) {
                    dw_tab_pixel(&t, b, oy, 0);
                }
                dw_tab_run(&t, run, b, oy_hi - 1, 0, oy_hi - oy_lo, -1);
                for (int32_t oy = oy_lo - 1; oy >= 0; --oy) {
                    dw_tab_pixel(&t, b, oy, 0);
                }
            }
        }
        return;
    }
    const int32_t rows = p->output.n * out_h;
    for (int32_t i = 0; i < rows; ++i) {
        const int32_t r = rev ? rows - 1 - i : i, b = r / out_h, oy = r % out_h;
        if (!runs || oy < oy_lo || oy >= oy_hi) {
            for (int32_t j = 0; j < out_w; ++j) {
                dw_tab_pixel(&t, b, oy, rev ? out_w - 1 - j : j);
            }
            continue;
        }
        if (!rev) {
            for (int32_t ox = 0; ox < ox_lo; ++ox) {
                dw_tab_pixel(&t, b, oy, ox);
            }
            dw_tab_run(&t, run, b, oy, ox_lo, ox_hi - ox_lo, 1);
            for (int32_t ox = ox_hi; ox < out_w; ++ox) {
                dw_tab_pixel(&t, b, oy, ox);
            }
        } else {
            for (int32_t ox = out_w - 1; ox >= ox_hi; --ox) {
                dw_tab_pixel(&t, b, oy, ox);
            }
            dw_tab_run(&t, run, b, oy, ox_hi - 1, ox_hi - ox_lo, -1);
            for (int32_t ox = ox_lo - 1; ox >= 0; --ox) {
                dw_tab_pixel(&t, b, oy, ox);
            }
        }
    }
}

/* Whether channel tiles may run one after the other over all pixels: the output does not
 * overlap the input, or lies a whole number of pixels from it (as the memory planner places a
 * depthwise layer's output), so that a tile's outputs overwrite only input bytes of its own
 * channels, which no later tile reads. */
static int dw_tab_tiles_safe(const fwgen_nn_conv_params_t *p, const int8_t *input,
                             const int8_t *output)
{
    const int32_t ch = p->input.c;
    const intptr_t in = (intptr_t)input, out = (intptr_t)output;
    const intptr_t in_bytes = (intptr_t)p->input.n * p->input.h * p->input.w * ch;
    const intptr_t out_bytes = (intptr_t)p->output.n * p->output.h * p->output.w * ch;
    return out + out_bytes <= in || in + in_bytes <= out || (out - in) % ch == 0;
}

/* Every pixel by the tabled path (0 where the call does not fit it): one table for all the
 * channels where it fits DW_TAB_WORDS; else, where dw_tab_tiles_safe(), tiles of channels, each
 * with its table, one after the other over all pixels. */
static __attribute__((noinline)) int dw_tabled_all(const dw_call_t *c)
{
    const fwgen_nn_conv_params_t *p = c->p;
    const int32_t ch = p->input.c, in_w = p->input.w;
    const int32_t k_h = p->filter.h, k_w = p->filter.w, taps = k_h * k_w, groups = ch / 4;
    if (!dw_tab_check(c)) {
        return 0;
    }
    const int32_t words = dw_tab_group_words(taps);
    int32_t tile = groups;   /* groups per tile */
    if (groups * words > DW_TAB_WORDS) {
        if (!dw_tab_tiles_safe(p, c->input, c->output)) {
            return 0;
        }
        const int32_t tiles = (groups * words + DW_TAB_WORDS - 1) / DW_TAB_WORDS;
        tile = (groups + tiles - 1) / tiles;
    }
    int32_t tab[DW_TAB_WORDS + 4];
    int8_t zero_point[DW_TAB_CH_MAX];
    memset(zero_point, (int8_t)(-p->input_offset), (size_t)ch);
    int32_t inner[DW_TAB_TAPS_MAX];
    for (int32_t ky = 0; ky < k_h; ++ky) {
        for (int32_t kx = 0; kx < k_w; ++kx) {
            inner[ky * k_w + kx] = (ky * p->dilation_h * in_w + kx * p->dilation_w) * ch;
        }
    }
    for (int32_t g0 = 0; g0 < groups; g0 += tile) {
        const int32_t n = groups - g0 < tile ? groups - g0 : tile;
        dw_table_build(c, tab, 4 * g0, n);
        const dw_tab_t t = {c, tab, inner, zero_point, taps, 4 * g0, n,
                            g0 + n == groups ? ch : 4 * (g0 + n)};
        dw_tab_pixels(&t, tab + n * words);
    }
    return 1;
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
    if (depth_multiplier == 1 && dw_tabled_all(&c)) {
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
