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
#define FWGEN_NN_CONV2D_USES_1X1 1
#define FWGEN_NN_CONV2D_USES_QUAD 1
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
#ifndef FWGEN_NN_CONV2D_USES_1X1
#define FWGEN_NN_CONV2D_USES_1X1 0
#endif
#ifndef FWGEN_NN_CONV2D_USES_QUAD
#define FWGEN_NN_CONV2D_USES_QUAD 0
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

#if FWGEN_NN_CONV2D_USES_PAIR || FWGEN_NN_CONV2D_USES_PIXEL || FWGEN_NN_CONV2D_USES_QUAD
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

#if FWGEN_NN_CONV2D_USES_PAIR || FWGEN_NN_CONV2D_USES_PIXEL || FWGEN_NN_CONV2D_USES_GENERIC || \
    FWGEN_NN_CONV2D_USES_QUAD
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

#if FWGEN_NN_CONV2D_USES_1X1 || FWGEN_NN_CONV2D_USES_QUAD
/* ---------------------------------------------------------------- 1X1
 * A 1x1 convolution without groups: four pixels' channels are widened once into one column
 * (conv_widen4), then each output channel's filter row meets all four in one asm loop (each
 * filter word loaded and split once for the four pixels, the column's words in LDMs of four):
 * 13 instructions per 16 MACs, 2 more per two groups of 4 taps. Where the call allows it
 * (conv_1x1_fast) four consecutive pixels take conv_1x1_fast4: the column doubled, so that the
 * accumulator is twice TFLM's, and 5 instructions an output (SMMLAR, an add, a shift, SSAT, the
 * store); a block of fewer pixels, or a call that does not allow it, takes conv_1x1_any
 * (fwgen_nn_dsp_output). */
#define CONV_1X1_TAPS_MAX 320
#define CONV_1X1_COL_WORDS (CONV_1X1_TAPS_MAX * 2 + 12)   /* 8 words per 4 taps, 4 a tail tap */
#define CONV_1X1_BIAS_MAX (1 << 29)   /* |acc| < 2^29 + 320 * 255 * 128 < 2^30: 2 * acc fits */
#if FWGEN_NN_CONV2D_USES_QUAD
#define CONV_1X1_WINDOW CONV_1X1_TAPS_MAX   /* bytes of a gathered window (QUAD) */
#else
#define CONV_1X1_WINDOW 1
#endif
#define CONV_1X1_SHIFT_MAX 22         /* output offset << shift fits beside the rounding */
#define CONV_1X1_OUT_MAX 256          /* output channels of the fast blocks' table (4 KB, stack) */

/* The channels of the pixels at src[0..3], `offset` added (and doubled: `twice`), in the
 * column: for each group of 4 taps, pixel q's words (t0, t2), (t1, t3) at 2q and 2q + 1 of the
 * group's 8; then one word per pixel for each tail tap. */
static inline void conv_widen4(const int8_t *const src[4], int32_t n, int32_t offset, int twice,
                               int32_t *col)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    int32_t k = 0;
    for (; k + 4 <= n; k += 4, col += 8) {
        for (int32_t q = 0; q < 4; ++q) {
            const uint32_t x = fwgen_nn_dsp_load4(src[q] + k);
            const int32_t e = __sxtab16(off2, (int32_t)x), o = fwgen_nn_dsp_sxtab16_ror8(off2, x);
            col[2 * q] = twice ? __sadd16(e, e) : e;       /* |lanes| <= 510: no overflow */
            col[2 * q + 1] = twice ? __sadd16(o, o) : o;
        }
    }
    for (; k < n; ++k, col += 4) {
        for (int32_t q = 0; q < 4; ++q) {
            col[q] = (src[q][k] + offset) << (twice ? 1 : 0);
        }
    }
}

/* One group of 4 taps of the filter row at `w` against the four pixels' column at `col`
 * (both advanced past it). */
#define CONV_1X1_GROUP                                                                             \
    "ldr    %[fo], [%[w]], #4\n\t"                                                                 \
    "sxtb16 %[fe], %[fo]\n\t"                                                                      \
    "sxtb16 %[fo], %[fo], ror #8\n\t"                                                              \
    "ldmia  %[col]!, {r8, r9, r10, r11}\n\t"                                                       \
    "smlad  %[a0], r8, %[fe], %[a0]\n\t"                                                           \
    "smlad  %[a0], r9, %[fo], %[a0]\n\t"                                                           \
    "smlad  %[a1], r10, %[fe], %[a1]\n\t"                                                          \
    "smlad  %[a1], r11, %[fo], %[a1]\n\t"                                                          \
    "ldmia  %[col]!, {r8, r9, r10, r11}\n\t"                                                       \
    "smlad  %[a2], r8, %[fe], %[a2]\n\t"                                                           \
    "smlad  %[a2], r9, %[fo], %[a2]\n\t"                                                           \
    "smlad  %[a3], r10, %[fe], %[a3]\n\t"                                                          \
    "smlad  %[a3], r11, %[fo], %[a3]\n\t"

/* a[q] += pixel q's column . the filter row at *w over `n` taps; *w advanced past the row. */
static inline __attribute__((always_inline)) void
conv_dot1x4(const int32_t *col, const int8_t **w, int32_t n, int32_t *a0, int32_t *a1,
            int32_t *a2, int32_t *a3)
{
    int32_t fe, fo, pairs = n >> 3;
    const int8_t *wp = *w;
    __asm__ volatile("tst    %[n], #4\n\t"            /* an odd group first */
                     "beq    2f\n\t"
                     CONV_1X1_GROUP
                     "2:\n\t"
                     "cmp    %[pairs], #0\n\t"
                     "beq    3f\n\t"
                     "1:\n\t"
                     CONV_1X1_GROUP
                     CONV_1X1_GROUP
                     "subs   %[pairs], %[pairs], #1\n\t"
                     "bne    1b\n\t"
                     "3:"
                     : [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3),
                       [fe] "=&r"(fe), [fo] "=&r"(fo), [w] "+r"(wp), [col] "+r"(col),
                       [pairs] "+r"(pairs)
                     : [n] "r"(n)
                     : "r8", "r9", "r10", "r11", "cc", "memory");
    for (int32_t k = 0; k < (n & 3); ++k, col += 4) {
        *a0 += col[0] * wp[k];
        *a1 += col[1] * wp[k];
        *a2 += col[2] * wp[k];
        *a3 += col[3] * wp[k];
    }
    *w = wp + (n & 3);
}

/* Whether the call's blocks of four consecutive pixels can take conv_1x1_fast4(): right shifts
 * of 1 to CONV_1X1_SHIFT_MAX and the whole int8 clamp (fwgen_nn_dsp_rshift_only), biases small
 * enough that twice the accumulator fits in 32 bits. Checked once per call. */
static int conv_1x1_fast(const conv_call_t *c)
{
    if (!c->rshift || c->taps % 8 != 0 || c->p->output.c > CONV_1X1_OUT_MAX) {
        return 0;
    }
    for (int32_t oc = 0; oc < c->p->output.c; ++oc) {
        if (c->shift[oc] == 0 || c->shift[oc] < -CONV_1X1_SHIFT_MAX ||
            (c->bias != NULL &&
             (c->bias[oc] >= CONV_1X1_BIAS_MAX || c->bias[oc] <= -CONV_1X1_BIAS_MAX))) {
            return 0;
        }
    }
    return 1;
}

/* The window of output pixel `i` in filter order: for 1X1 its input pixel as it lies (no
 * padding), for QUAD gathered into `window` (padding taps the input zero point). */
static inline const int8_t *conv_1x1_src(const conv_call_t *c, int32_t i, int8_t *window)
{
    const fwgen_nn_conv_params_t *p = c->p;
#if FWGEN_NN_CONV2D_USES_QUAD
    if (p->path == FWGEN_NN_CONV_PATH_QUAD) {
        const fwgen_nn_window_t win = conv_window(c, i);
        return conv_taps(c, &win, 0, window);
    }
#endif
    (void)window;
    const int32_t plane = p->output.h * p->output.w, yx = i % plane;
    const int32_t y = yx / p->output.w * p->stride_h, x = yx % p->output.w * p->stride_w;
    return c->input + (((size_t)(i / plane) * p->input.h + y) * p->input.w + x) * p->input.c;
}

/* The per-channel constants of conv_1x1_fast4, per output channel: TFLM's multiplier, the right
 * shift e, the rounding constant 2^(e-1) + output offset * 2^e, twice the bias. */
typedef struct {
    int32_t multiplier, shift, nudge, bias2;
} conv_1x1_quant_t;

/* What conv_1x1_fast4's loop keeps in memory (it needs every register), by word offset. */
typedef struct {
    const int32_t *col;               /* 0: the block's column */
    int32_t pairs;                    /* 4: pairs of 4-tap groups in a row (taps / 8) */
    const conv_1x1_quant_t *quant;    /* 8: the next channel's constants */
    int8_t *out;                      /* 12: its output in pixel 0 */
    int32_t d1;                       /* 16: pixel 1's output from pixel 0's (bytes) */
    int32_t count;                    /* 20: channels left */
    const int8_t *w;                  /* 24: its filter row */
    int32_t d2, d3;                   /* 28, 32: pixel 2's and 3's */
} conv_1x1_loop_t;

/* Pixels px .. px + count - 1 (count <= 4, the last one repeated to fill the block; conv_1x1_fast()
 * holding), every output channel from its constants in `quant`. Each output channel: its row
 * against the four pixels' doubled column (the accumulators acc2 twice TFLM's, from twice the
 * bias), then per pixel SMMLAR(acc2, multiplier, nudge) = nudge + TFLM's high multiply (round
 * half up at 2^31), its rounding right shift (half away from zero) with the output offset as
 * (that - (acc2 < 0)) >> e (TFLM subtracts 1 where the high part is negative; acc2's sign differs
 * from it only where the high part is 0, and then both give the output offset), and SSAT: 5
 * instructions an output with the store. All four pixels are read before any output is written,
 * so the output may overlap the input as for one pixel at a time. */
static __attribute__((noinline)) void conv_1x1_fast4(const conv_call_t *c, int32_t px,
                                                     int32_t count, const conv_1x1_quant_t *quant)
{
    int32_t col[CONV_1X1_COL_WORDS] __attribute__((aligned(8)));
    int8_t window[4][CONV_1X1_WINDOW];
    const int8_t *src[4];
    const int32_t out_c = c->p->output.c, taps = c->taps;
    int32_t d[4];
    for (int32_t q = 0; q < 4; ++q) {
        d[q] = (q < count ? q : count - 1) * out_c;
        src[q] = conv_1x1_src(c, px + d[q] / out_c, window[q]);
    }
    conv_widen4(src, taps, c->p->input_offset, 1, col);
    conv_1x1_loop_t loop = {col, taps >> 3, quant, c->output + (size_t)px * out_c, d[1], out_c,
                            c->filter, d[2], d[3]};
    conv_1x1_loop_t *ctx = &loop;
    __asm__ volatile(
        "ldr    r6, [%[ctx], #24]\n\t"
        "0:\n\t"
        "ldr    r7, [%[ctx], #8]\n\t"
        "ldr    r0, [r7, #12]\n\t"               /* 2 * bias */
        "mov    r1, r0\n\t"
        "mov    r2, r0\n\t"
        "mov    r3, r0\n\t"
        "ldrd   r7, lr, [%[ctx]]\n\t"            /* col, pairs */
        "1:\n\t"
#define G(fe, fo)                                                                                  \
        "ldr    " fo ", [r6], #4\n\t"                                                               \
        "sxtb16 " fe ", " fo "\n\t"                                                                 \
        "sxtb16 " fo ", " fo ", ror #8\n\t"                                                         \
        "ldmia  r7!, {r8, r9, r10, r11}\n\t"                                                       \
        "smlad  r0, r8, " fe ", r0\n\t"                                                             \
        "smlad  r0, r9, " fo ", r0\n\t"                                                             \
        "smlad  r1, r10, " fe ", r1\n\t"                                                            \
        "smlad  r1, r11, " fo ", r1\n\t"                                                            \
        "ldmia  r7!, {r8, r9, r10, r11}\n\t"                                                       \
        "smlad  r2, r8, " fe ", r2\n\t"                                                             \
        "smlad  r2, r9, " fo ", r2\n\t"                                                             \
        "smlad  r3, r10, " fe ", r3\n\t"                                                            \
        "smlad  r3, r11, " fo ", r3\n\t"
        G("r4", "r5") G("r4", "r5")
#undef G
        "subs   lr, lr, #1\n\t"
        "bne    1b\n\t"
        "ldr    r7, [%[ctx], #8]\n\t"
        "ldmia  r7!, {r8, r9, r10, r11}\n\t"     /* multiplier, e, nudge, (2 * bias) */
        "str    r7, [%[ctx], #8]\n\t"
        "smmlar r4, r0, r8, r10\n\t"             /* nudge + TFLM's high multiply */
        "smmlar r5, r1, r8, r10\n\t"
        "smmlar r11, r2, r8, r10\n\t"
        "smmlar r7, r3, r8, r10\n\t"
        "add    r4, r4, r0, asr #31\n\t"         /* - (acc < 0): see conv_1x1_fast4 */
        "add    r5, r5, r1, asr #31\n\t"
        "add    r11, r11, r2, asr #31\n\t"
        "add    r7, r7, r3, asr #31\n\t"
        "asr    r4, r4, r9\n\t"
        "asr    r5, r5, r9\n\t"
        "asr    r11, r11, r9\n\t"
        "asr    r7, r7, r9\n\t"
        "ssat   r4, #8, r4\n\t"
        "ssat   r5, #8, r5\n\t"
        "ssat   r11, #8, r11\n\t"
        "ssat   r7, #8, r7\n\t"
        "ldrd   r8, lr, [%[ctx], #12]\n\t"       /* out, d1 */
        "ldrd   r2, r3, [%[ctx], #28]\n\t"       /* d2, d3 */
        "strb   r4, [r8]\n\t"
        "strb   r5, [r8, lr]\n\t"
        "strb   r11, [r8, r2]\n\t"
        "strb   r7, [r8, r3]\n\t"
        "add    r8, r8, #1\n\t"
        "str    r8, [%[ctx], #12]\n\t"
        "ldr    r7, [%[ctx], #20]\n\t"
        "subs   r7, r7, #1\n\t"
        "str    r7, [%[ctx], #20]\n\t"
        "bne    0b"
        :
        : [ctx] "r"(ctx)
        : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "lr", "cc",
          "memory");
}

/* The constants of every output channel for conv_1x1_fast4 (conv_1x1_fast() holding: shifts
 * -1 .. -22, so the offset term fits). */
static void conv_1x1_table(const conv_call_t *c, conv_1x1_quant_t *t)
{
    for (int32_t k = 0; k < c->p->output.c; ++k) {
        const int32_t oc = k, e = -c->shift[oc];
        t[k].multiplier = c->multiplier[oc];
        t[k].shift = e;
        t[k].nudge = (1 << (e - 1)) + (int32_t)((uint32_t)c->output_offset << e);
        t[k].bias2 = c->bias != NULL ? c->bias[oc] * 2 : 0;
    }
}

/* Pixels px .. px + count - 1 (count <= 4; the last one repeated to fill the block), any call:
 * fwgen_nn_dsp_output(); read before written as in conv_1x1_fast4. */
static __attribute__((noinline)) void conv_1x1_any(const conv_call_t *c, int32_t px,
                                                   int32_t count)
{
    int32_t col[CONV_1X1_COL_WORDS] __attribute__((aligned(8)));
    int8_t window[4][CONV_1X1_WINDOW];
    const int8_t *src[4];
    int8_t *out[4];
    const int32_t out_c = c->p->output.c, taps = c->taps;
    for (int32_t q = 0; q < 4; ++q) {
        const int32_t i = px + (q < count ? q : count - 1);
        src[q] = conv_1x1_src(c, i, window[q]);
        out[q] = c->output + (size_t)i * out_c;
    }
    conv_widen4(src, taps, c->p->input_offset, 0, col);
    const int8_t *w = c->filter;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        int32_t a[4];
        a[0] = a[1] = a[2] = a[3] = c->bias != NULL ? c->bias[oc] : 0;
        conv_dot1x4(col, &w, taps, &a[0], &a[1], &a[2], &a[3]);
        for (int32_t q = 0; q < 4; ++q) {
            out[q][oc] = fwgen_nn_dsp_output(a[q], c->multiplier[oc], c->shift[oc],
                                             c->output_offset, c->act_min, c->act_max);
        }
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
#if FWGEN_NN_CONV2D_USES_1X1 || FWGEN_NN_CONV2D_USES_QUAD
#if FWGEN_NN_CONV2D_USES_1X1
    case FWGEN_NN_CONV_PATH_1X1:
#endif
#if FWGEN_NN_CONV2D_USES_QUAD
    case FWGEN_NN_CONV_PATH_QUAD:
#endif
    {
        const int one = p->filter.h == 1 && p->filter.w == 1 && p->pad_top == 0 && p->pad_left == 0;
        if (groups != 1 || c.taps > CONV_1X1_TAPS_MAX || (p->path == FWGEN_NN_CONV_PATH_1X1 && !one)) {
            return FWGEN_ERR_ARG;
        }
        /* blocks of 4 pixels in the kernel's order (a last one of fewer repeats its last pixel) */
        if (conv_1x1_fast(&c)) {
            conv_1x1_quant_t table[CONV_1X1_OUT_MAX];
            conv_1x1_table(&c, table);
            for (int32_t i = 0; i < pixels; i += 4) {
                const int32_t count = pixels - i < 4 ? pixels - i : 4;
                conv_1x1_fast4(&c, p->reverse ? pixels - i - count : i, count, table);
            }
            return FWGEN_OK;
        }
        for (int32_t i = 0; i < pixels; i += 4) {
            const int32_t count = pixels - i < 4 ? pixels - i : 4;
            conv_1x1_any(&c, p->reverse ? pixels - i - count : i, count);
        }
        return FWGEN_OK;
    }
#endif
    default:   /* no path chosen, or one this build left out */
        (void)c;
        (void)pixels;
        return FWGEN_ERR_ARG;
    }
}
