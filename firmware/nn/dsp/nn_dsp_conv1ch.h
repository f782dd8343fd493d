/*
 * Convolution of a single input channel into many output channels, shared by the DSP variants of
 * CONV_2D (1 -> C, micro_speech's and Yamnet's first layers) and DEPTHWISE_CONV_2D (1 input
 * channel x C, TFLM micro_speech): the same arithmetic with the filter taps in another order.
 *
 * The filter is widened once per call into int16 pairs of neighbouring taps of a row (a zero tap
 * ends an odd row), two output channels side by side, so that one SMLAD multiplies two taps of
 * one channel (the filter's bytes x 2 plus padding, <= 1.25 KB of stack). Input rows are widened
 * once into a ring of k_h rows spanning the whole padded width, the input offset added and 0 in
 * the padding (a padding tap then adds 0, as in TFLM), so a pixel's window row is a run of words
 * in the ring: no per-pixel gathering, no border case. Two channels of two neighbouring pixels
 * accumulate in registers (each filter word serves both pixels); requantization is inline.
 * Two table paths below take the shapes of the zoo models where their requantization bounds
 * hold (right shifts of 1 to 22 into the whole int8 range): 3x3 windows (Yamnet's stem) and
 * rows of 7 or 8 taps at stride 2 (micro_speech's 10x8/2), naked asm loops over LDMs of a
 * per-channel table. Stack: about 2.8 KB (the ring path; the 8-wide 3 KB, the 3x3 2.6 KB);
 * code about 1.8 KB, 1.4 KB and 1.3 KB. Output rows go in the portable kernel's order
 * (`reverse` too) and each reads its input rows before writing, so the output may overlap the
 * input as the memory planner lets it.
 */
#ifndef FWGEN_NN_DSP_CONV1CH_H
#define FWGEN_NN_DSP_CONV1CH_H

#include "nn/nn_window.h"
#include "nn/dsp/nn_dsp.h"

/* The paths compiled: every one, unless the generated fwgen_nn_paths.h lists those the model's
 * one-channel layers take (FWGEN_NN_1CH_PATHS_LISTED, then FWGEN_NN_1CH_USES_3X3, _W8, _RING
 * for each taken). A call whose path a build left out takes the plain loop (correct, slow:
 * a compiler that lists the paths never lets it). */
#if defined(__has_include)
#if __has_include("fwgen_nn_paths.h")
#include "fwgen_nn_paths.h"
#endif
#endif
#ifndef FWGEN_NN_1CH_PATHS_LISTED
#define FWGEN_NN_1CH_USES_3X3 1
#define FWGEN_NN_1CH_USES_W8 1
#define FWGEN_NN_1CH_USES_RING 1
#endif
#ifndef FWGEN_NN_1CH_USES_3X3
#define FWGEN_NN_1CH_USES_3X3 0
#endif
#ifndef FWGEN_NN_1CH_USES_W8
#define FWGEN_NN_1CH_USES_W8 0
#endif
#ifndef FWGEN_NN_1CH_USES_RING
#define FWGEN_NN_1CH_USES_RING 0
#endif

/* Stack buffers, sized for micro_speech's 10x8 x 8 channels (320 words, 506 int16) and 3x3
 * layers of up to 32 channels; bigger shapes take the other paths. */
#define FWGEN_NN_DSP_1CH_WIDE_MAX 320    /* words of the widened filter */
#define FWGEN_NN_DSP_1CH_RING_MAX 512    /* int16 of the row ring and its zero row */
#define FWGEN_NN_DSP_1CH_ROWS_MAX 16     /* filter rows */
#define FWGEN_NN_DSP_1CH_CHANNELS_MAX 32 /* output channels */

/** Output channels a pass accumulates in registers (for two pixels), and the passes for out_c. */
#define FWGEN_NN_DSP_1CH_LANES 2
#define FWGEN_NN_DSP_1CH_GROUPS(out_c) \
    (((out_c) + FWGEN_NN_DSP_1CH_LANES - 1) / FWGEN_NN_DSP_1CH_LANES)

static inline int32_t fwgen_nn_dsp_1ch_pairs(const fwgen_nn_conv_params_t *p)
{
    return (p->filter.w + 1) / 2;
}

/** int16 per ring row: every column a pixel's (even-rounded) window reaches, even. */
static inline int32_t fwgen_nn_dsp_1ch_row_len(const fwgen_nn_conv_params_t *p)
{
    const int32_t len = (p->output.w - 1) * p->stride_w + 2 * fwgen_nn_dsp_1ch_pairs(p);
    return (len + 1) & ~1;
}

/** Whether a call with one input channel fits this path (dilations 1, buffers within bounds). */
static inline int fwgen_nn_dsp_1ch_fits(const fwgen_nn_conv_params_t *p)
{
    const int32_t out_c = p->output.c, k_h = p->filter.h;
    return p->input.c == 1 && p->dilation_h == 1 && p->dilation_w == 1 && out_c >= 2 &&
           p->output.w >= 2 &&
           out_c <= FWGEN_NN_DSP_1CH_CHANNELS_MAX &&
           k_h <= FWGEN_NN_DSP_1CH_ROWS_MAX &&
           FWGEN_NN_DSP_1CH_GROUPS(out_c) * FWGEN_NN_DSP_1CH_LANES * k_h * fwgen_nn_dsp_1ch_pairs(p) <=
               FWGEN_NN_DSP_1CH_WIDE_MAX &&
           (k_h + 1) * fwgen_nn_dsp_1ch_row_len(p) <= FWGEN_NN_DSP_1CH_RING_MAX;
}

/** Ring row `dst` (len int16): input row `src` (in_w taps, starting `lead` columns in) plus
 *  `offset`, 0 elsewhere. */
static inline void fwgen_nn_dsp_1ch_widen_row(int16_t *dst, const int8_t *src, int32_t lead,
                                              int32_t in_w, int32_t len, int32_t offset)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    lead = lead < len ? lead : len;
    const int32_t n = len - lead < in_w ? len - lead : in_w;
    int32_t i = 0;
    for (; i < lead; ++i) {
        dst[i] = 0;
    }
    int16_t *d = dst + lead;
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t x = fwgen_nn_dsp_load4(src + k);
        const uint32_t e = (uint32_t)__sxtab16(off2, (int32_t)x);          /* taps 0, 2 */
        const uint32_t o = (uint32_t)fwgen_nn_dsp_sxtab16_ror8(off2, x);   /* taps 1, 3 */
        const uint32_t lo = (e & 0xFFFFu) | (o << 16), hi = (o & 0xFFFF0000u) | (e >> 16);
        memcpy(d + k, &lo, sizeof lo);
        memcpy(d + k + 2, &hi, sizeof hi);
    }
    for (; k < n; ++k) {
        d[k] = (int16_t)(src[k] + offset);
    }
    for (i = lead + n; i < len; ++i) {
        dst[i] = 0;
    }
}

/* Two words at byte offset OFF (a constant) from word-aligned P: one LDRD with an immediate
 * offset (GCC splits 64-bit loads into two LDRs on these cores). */
#define FWGEN_NN_DSP_1CH_LDRD(p, off, lo, hi)                                                    \
    __asm__("ldrd %0, %1, [%2, %3]"                                                           \
            : "=r"(lo), "=r"(hi)                                                              \
            : "r"(p), "i"(off), "m"(*(const int32_t(*)[2])((const char *)(p) + (off))))

/** Two channels of two pixels A and B: acc[2 * px + c] = bias[c] + sum over the window of x * w,
 *  `rows[ky] + xa0` (`+ xb0`) being pixel A's (B's) window row ky in the ring, `w` the channel
 *  pair's widened filter ([ky][pair][2 channels]). */
static inline __attribute__((always_inline)) void
fwgen_nn_dsp_1ch_block(const int16_t *const *rows, int32_t k_h, int32_t xa0, int32_t ab,
                       const int32_t *w, int32_t pairs, const int32_t *bias, int32_t acc[4])
{
    int32_t a0, a1;
    FWGEN_NN_DSP_1CH_LDRD(bias, 0, a0, a1);
    int32_t a2 = a0, a3 = a1;
    const int16_t *const *end = rows + k_h;   /* a pointer walk: one register fewer than ky */
    for (; rows < end; ++rows, w += pairs * FWGEN_NN_DSP_1CH_LANES) {
        const int16_t *xa = *rows + xa0;
        const int16_t *xb = xa + ab;
        for (int32_t j = 0; j < pairs; ++j) {
            uint32_t va, vb;
            memcpy(&va, xa + 2 * j, sizeof va);
            memcpy(&vb, xb + 2 * j, sizeof vb);
            a0 = __smlad((int32_t)va, w[2 * j], a0);
            a1 = __smlad((int32_t)va, w[2 * j + 1], a1);
            a2 = __smlad((int32_t)vb, w[2 * j], a2);
            a3 = __smlad((int32_t)vb, w[2 * j + 1], a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/** One output row of all channels, two pixels at a time, an odd row's last pair overlapping the
 *  one before (the ring holds the inputs, so neither the order within the row nor a pixel
 *  written twice matters to the memory planner); `bias` padded to whole channel pairs. */
static inline __attribute__((always_inline)) void
fwgen_nn_dsp_1ch_out_row(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                         const int32_t *bias, const int16_t *const *rows, const int32_t *wide,
                         int32_t pairs, int32_t stride_w, int rshift, int8_t *out_row)
{
    const int32_t out_w = p->output.w, out_c = p->output.c, k_h = p->filter.h;
    const int32_t groups = FWGEN_NN_DSP_1CH_GROUPS(out_c);
    const int32_t group_words = k_h * pairs * FWGEN_NN_DSP_1CH_LANES;
    const int32_t *multiplier = q->multiplier;
    const int8_t *shift = q->shift;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < out_w; i += 2) {
        const int32_t ox = i + 1 < out_w ? i : out_w - 2;   /* an odd row's last pair overlaps */
        int8_t *out_a = out_row + ox * out_c;
        for (int32_t g = 0; g < groups; ++g) {
            const int32_t oc = g * FWGEN_NN_DSP_1CH_LANES;
            int32_t acc[4];
            fwgen_nn_dsp_1ch_block(rows, k_h, ox * stride_w, stride_w, wide + g * group_words,
                                   pairs, bias + oc, acc);
            const int32_t m0 = multiplier[oc], s0 = shift[oc];
            out_a[oc] = fwgen_nn_dsp_out(rshift, acc[0], m0, s0, out_off, lo, hi);
            out_a[oc + out_c] = fwgen_nn_dsp_out(rshift, acc[2], m0, s0, out_off, lo, hi);
            if (oc + 1 < out_c) {
                const int32_t m1 = multiplier[oc + 1], s1 = shift[oc + 1];
                out_a[oc + 1] = fwgen_nn_dsp_out(rshift, acc[1], m1, s1, out_off, lo, hi);
                out_a[oc + 1 + out_c] = fwgen_nn_dsp_out(rshift, acc[3], m1, s1, out_off, lo, hi);
            }
        }
    }
}

#if FWGEN_NN_1CH_USES_RING
/** rows[ky] = output row oy's window row ky in the ring (`len` int16 a row, k_h slots), widened
 *  from batch `in_b` where its slot (tag[]: the input row a slot holds, -1 none) holds another
 *  row; zero_row outside the input. */
static inline void fwgen_nn_dsp_1ch_ring_rows(const fwgen_nn_conv_params_t *p, const int8_t *in_b,
                                              int32_t oy, int16_t *ring, int32_t len, int32_t *tag,
                                              const int16_t *zero_row, const int16_t **rows)
{
    const int32_t k_h = p->filter.h, in_h = p->input.h, in_w = p->input.w;
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    for (int32_t ky = 0; ky < k_h; ++ky) {
        const int32_t iy = y0 + ky;
        if (iy < 0 || iy >= in_h) {
            rows[ky] = zero_row;
            continue;
        }
        const int32_t slot = iy % k_h;   /* k_h consecutive rows: distinct slots */
        int16_t *row = ring + slot * len;
        if (tag[slot] != iy) {
            fwgen_nn_dsp_1ch_widen_row(row, in_b + (size_t)iy * in_w, p->pad_left, in_w, len,
                                       p->input_offset);
            tag[slot] = iy;
        }
        rows[ky] = row;
    }
}

/** Any window shape (the ring of widened rows; see the top of this file). */
static __attribute__((noinline)) void
fwgen_nn_dsp_1ch_rows(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                      const int8_t *input, const int8_t *filter, int32_t tap_stride,
                      int32_t channel_stride, const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w;
    const int32_t out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w, pairs = fwgen_nn_dsp_1ch_pairs(p);
    const int32_t groups = FWGEN_NN_DSP_1CH_GROUPS(out_c), len = fwgen_nn_dsp_1ch_row_len(p);
    int32_t wide[FWGEN_NN_DSP_1CH_WIDE_MAX] __attribute__((aligned(8)));
    int16_t ring[FWGEN_NN_DSP_1CH_RING_MAX] __attribute__((aligned(4)));
    int32_t tag[FWGEN_NN_DSP_1CH_ROWS_MAX];         /* input row a ring slot holds, -1: none */
    const int16_t *rows[FWGEN_NN_DSP_1CH_ROWS_MAX];  /* the window's rows for one output row */
    int32_t bias_pad[FWGEN_NN_DSP_1CH_CHANNELS_MAX] __attribute__((aligned(8)));
    for (int32_t oc = 0; oc < groups * FWGEN_NN_DSP_1CH_LANES; ++oc) {
        bias_pad[oc] = bias != NULL && oc < out_c ? bias[oc] : 0;
    }
    /* wide[((g * k_h + ky) * pairs + j) * 2 + c] = taps (2j, 2j + 1) of row ky, channel 2g + c */
    memset(wide, 0, (size_t)groups * k_h * pairs * FWGEN_NN_DSP_1CH_LANES * sizeof wide[0]);
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *f = filter + oc * channel_stride;
        int16_t *dst = (int16_t *)(wide + (oc / 2) * k_h * pairs * 2 + oc % 2);
        for (int32_t ky = 0; ky < k_h; ++ky, dst += pairs * 4) {
            for (int32_t kx = 0; kx < k_w; ++kx, f += tap_stride) {
                dst[(kx / 2) * 4 + kx % 2] = *f;   /* int16 lanes: word (kx / 2) of the channel */
            }
        }
    }
    const int rshift = fwgen_nn_dsp_rshift_only(q->shift, out_c, p->act_min, p->act_max);
    int16_t *zero_row = ring + k_h * len;
    memset(zero_row, 0, (size_t)len * sizeof zero_row[0]);
    for (int32_t bi = 0; bi < p->output.n; ++bi) {
        const int32_t b = p->reverse ? p->output.n - 1 - bi : bi;
        const int8_t *in_b = input + (size_t)b * in_h * in_w;
        for (int32_t s = 0; s < k_h; ++s) {
            tag[s] = -1;
        }
        for (int32_t yi = 0; yi < out_h; ++yi) {
            const int32_t oy = p->reverse ? out_h - 1 - yi : yi;
            fwgen_nn_dsp_1ch_ring_rows(p, in_b, oy, ring, len, tag, zero_row, rows);
            int8_t *out_row = output + ((size_t)b * out_h + oy) * out_w * out_c;
            fwgen_nn_dsp_1ch_out_row(p, q, bias_pad, rows, wide, pairs, p->stride_w, rshift,
                                     out_row);
        }
    }
}

#endif /* FWGEN_NN_1CH_USES_RING */

/* ---------------------------------------------------------------- 3x3 windows
 * Yamnet's stem (3x3/2, 1 -> 32): a window of 9 taps in 5 SMLADs instead of the ring's 6, and
 * requantization in 5 instructions. Per output row, the 3 input rows (int8, padded with
 * -input_offset) are widened and combined, 4 columns a step, into one buffer of two words per
 * padded column k: I(k) = (row 0, row 1) at column k and
 * P(k) = row 2 at columns (k, k + 1), so that a pixel's window is the 6 words from I(x0) on
 * (I(x0), P(x0), I(x0 + 1), -, I(x0 + 2), P(x0 + 2)), one LDM. Each channel's table row holds
 * 2 x bias, its filter as the matching 5 words (taps doubled, the unpaired one beside a 0),
 * multiplier, rounding constant and right shift: two LDMs per output. Taps doubled make the
 * accumulator 2 x acc, and SMMULR (2 x acc, m) is TFLM's rounding doubling high multiply when
 * |acc| < 2^30 (the bias bound below); the rounding right shift by e >= 1 with the output
 * offset is (high + 2^(e-1) + (high < 0 ? -1 : 0) + offset * 2^e) >> e, the same integer (no
 * overflow for e <= 22), then SSAT. Calls outside these bounds take the ring.
 * Stack: about 2.3 KB (the table 1.1 KB, the rows 1.2 KB).
 */
#define FWGEN_NN_DSP_1CH_SHIFT_MAX 22         /* right shifts the offset folds into */
#define FWGEN_NN_DSP_1CH_BIAS_MAX (1 << 29)   /* |bias| bound of the table paths */

/** Whether a call's requantization fits the table paths (3x3, 8-wide): the whole int8 clamp,
 *  right shifts of 1 to 22, |bias| < 2^29 (|acc| < 2^30 for windows of <= 16 x 8 taps). */
static inline int fwgen_nn_dsp_1ch_table_ok(const fwgen_nn_conv_params_t *p,
                                            const fwgen_nn_per_channel_t *q, const int32_t *bias)
{
    if (p->act_min != -128 || p->act_max != 127) {
        return 0;
    }
    for (int32_t oc = 0; oc < p->output.c; ++oc) {
        const int32_t e = -q->shift[oc];
        if (e < 1 || e > FWGEN_NN_DSP_1CH_SHIFT_MAX ||
            (bias != NULL && (bias[oc] >= FWGEN_NN_DSP_1CH_BIAS_MAX ||
                              bias[oc] <= -FWGEN_NN_DSP_1CH_BIAS_MAX))) {
            return 0;
        }
    }
    return 1;
}

/** Two int16 lanes: lo, hi. */
static inline int32_t fwgen_nn_dsp_1ch_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/** Channel c's rounding constant with the output offset (e = -shift in 1 .. 22). */
static inline int32_t fwgen_nn_dsp_1ch_round(int32_t e, int32_t output_offset)
{
    return (1 << (e - 1)) + output_offset * (1 << e);
}

#if FWGEN_NN_1CH_USES_3X3
#define FWGEN_NN_DSP_1CH_3X3_COLS_MAX 96       /* padded input columns of a row (stack) */
#define FWGEN_NN_DSP_1CH_3X3_ROW 9             /* table words per output channel */

/** Padded input columns the pixels of a row read: the last pixel's 3 (its P(x0 + 2) reads one
 *  more, widened as 0 or input). */
static inline int32_t fwgen_nn_dsp_1ch_3x3_cols(const fwgen_nn_conv_params_t *p)
{
    return (p->output.w - 1) * p->stride_w + 3;
}

/** Whether a call (fwgen_nn_dsp_1ch_fits() holding) takes the 3x3 path: a 3x3 filter, the
 *  whole int8 clamp, right shifts of 1 to 22, |bias| < 2^29, rows within the buffer. */
static inline int fwgen_nn_dsp_1ch_3x3_fits(const fwgen_nn_conv_params_t *p,
                                            const fwgen_nn_per_channel_t *q, const int32_t *bias)
{
    if (p->filter.h != 3 || p->filter.w != 3 ||
        fwgen_nn_dsp_1ch_3x3_cols(p) > FWGEN_NN_DSP_1CH_3X3_COLS_MAX) {
        return 0;
    }
    return fwgen_nn_dsp_1ch_table_ok(p, q, bias);
}

/* One output channel: its table row's two LDMs, 5 SMLADs, the requantization, the byte. */
#define FWGEN_NN_DSP_1CH_3X3_CHANNEL                                                               \
    "ldm    r1!, {r0, r7, r10, r11, r12, lr}\n\t" /* 2 x bias, the filter */                     \
    "smlad  r0, r4, r7, r0\n\t"                                                                   \
    "smlad  r0, r6, r10, r0\n\t"                                                                  \
    "smlad  r0, r8, r11, r0\n\t"                                                                  \
    "smlad  r0, r5, r12, r0\n\t"                                                                  \
    "smlad  r0, r9, lr, r0\n\t"                                                                   \
    "ldm    r1!, {r7, r10, r11}\n\t" /* multiplier, rounding + offset, right shift */             \
    "smmulr r0, r0, r7\n\t"                                                                       \
    "add    r10, r10, r0, asr #31\n\t"                                                            \
    "add    r0, r0, r10\n\t"                                                                      \
    "asr    r0, r0, r11\n\t"                                                                      \
    "ssat   r0, #8, r0\n\t"                                                                       \
    "strb   r0, [r2], #1\n\t"

/** All channels of one pixel: `win` its 6 buffer words, `table` the channels' rows, outputs to
 *  out .. end - 1. Two channels a loop (an odd count enters at the second): 14 instructions per
 *  output, every register in use (hence naked asm): r4-r9 the window (r7 the unused P(x0 + 1),
 *  then free), r0 the accumulator. Its push (36 B) is not in -fstack-usage's figure (0 for a
 *  naked function): with the 3x3 path's frame it stays below the ring path's, its caller's
 *  other callee. */
static __attribute__((naked, noinline)) void
fwgen_nn_dsp_1ch_3x3_pixel(const int32_t *win, const int32_t *table, int8_t *out,
                           const int8_t *end)
{
    (void)win, (void)table, (void)out, (void)end;
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "ldm    r0, {r4-r9}\n\t"
                     "sub    r12, r3, r2\n\t"
                     "lsls   r12, r12, #31\n\t"   /* an odd count: Z clear */
                     "bne    2f\n"
                     "1:\n\t"
                     FWGEN_NN_DSP_1CH_3X3_CHANNEL
                     "2:\n\t"
                     FWGEN_NN_DSP_1CH_3X3_CHANNEL
                     "cmp    r2, r3\n\t"
                     "bne    1b\n\t"
                     "pop    {r4-r11, pc}");
}

/** The whole call on the 3x3 path (fwgen_nn_dsp_1ch_3x3_fits() holding); arguments as
 *  fwgen_nn_dsp_conv1ch(). */
static __attribute__((noinline)) void
fwgen_nn_dsp_1ch_3x3(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                     const int8_t *input, const int8_t *filter, int32_t tap_stride,
                     int32_t channel_stride, const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w;
    const int32_t out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
    const int32_t cols = fwgen_nn_dsp_1ch_3x3_cols(p), cols4 = (cols + 3) & ~3;
    const int32_t len = cols4 + 4;   /* int8 per row: what the 4-column blocks read */
    const int32_t lead = p->pad_left < len ? p->pad_left : len;
    const int32_t n = in_w < len - lead ? in_w : len - lead;   /* input columns a row holds */
    int32_t table[FWGEN_NN_DSP_1CH_CHANNELS_MAX * FWGEN_NN_DSP_1CH_3X3_ROW]
        __attribute__((aligned(8)));
    int32_t buf[2 * FWGEN_NN_DSP_1CH_3X3_COLS_MAX + 8] __attribute__((aligned(8)));
    int8_t rows8[4][FWGEN_NN_DSP_1CH_3X3_COLS_MAX + 8] __attribute__((aligned(4)));
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *f = filter + oc * channel_stride;
        int32_t t[9];
        for (int32_t k = 0; k < 9; ++k) {
            t[k] = 2 * f[k * tap_stride];
        }
        const int32_t e = -q->shift[oc];
        int32_t *w = table + oc * FWGEN_NN_DSP_1CH_3X3_ROW;
        w[0] = bias != NULL ? 2 * bias[oc] : 0;
        w[1] = fwgen_nn_dsp_1ch_pack(t[0], t[3]);   /* I(x0): rows 0 and 1 of column 0 */
        w[2] = fwgen_nn_dsp_1ch_pack(t[1], t[4]);
        w[3] = fwgen_nn_dsp_1ch_pack(t[2], t[5]);
        w[4] = fwgen_nn_dsp_1ch_pack(t[6], t[7]);   /* P(x0): row 2, columns 0 and 1 */
        w[5] = fwgen_nn_dsp_1ch_pack(t[8], 0);      /* P(x0 + 2): column 2 and the next pixel's */
        w[6] = q->multiplier[oc];
        w[7] = fwgen_nn_dsp_1ch_round(e, p->output_offset);
        w[8] = e;
    }
    /* int8 rows padded with -input_offset (0 once the offset is added); rows8[3] stands for the
     * rows outside the input */
    const int8_t pad = (int8_t)-p->input_offset;
    fwgen_nn_dsp_fill(rows8[3], pad, len);
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16));
    const int32_t step = 2 * p->stride_w;   /* buffer words from a pixel's window to the next's */
    for (int32_t bi = 0; bi < p->output.n; ++bi) {
        const int32_t b = p->reverse ? p->output.n - 1 - bi : bi;
        const int8_t *in_b = input + (size_t)b * in_h * in_w;
        for (int32_t yi = 0; yi < out_h; ++yi) {
            const int32_t oy = p->reverse ? out_h - 1 - yi : yi;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int8_t *r[3];
            for (int32_t k = 0; k < 3; ++k) {
                if (y0 + k < 0 || y0 + k >= in_h) {
                    r[k] = rows8[3];
                    continue;
                }
                fwgen_nn_dsp_fill(rows8[k], pad, lead);
                fwgen_nn_dsp_copy(rows8[k] + lead, in_b + (size_t)(y0 + k) * in_w, n);
                fwgen_nn_dsp_fill(rows8[k] + lead + n, pad, len - lead - n);
                r[k] = rows8[k];
            }
            /* 4 columns a step: I(k..k+3) from rows 0 and 1, P(k..k+3) from row 2 */
            int32_t *d = buf;
            for (int32_t k = 0; k < cols4; k += 4, d += 8) {
                const uint32_t a = fwgen_nn_dsp_load4(r[0] + k), c = fwgen_nn_dsp_load4(r[1] + k);
                const uint32_t x = fwgen_nn_dsp_load4(r[2] + k), x1 = fwgen_nn_dsp_load4(r[2] + k + 1);
                const uint32_t ea = (uint32_t)__sxtab16(off2, (int32_t)a);          /* cols 0, 2 */
                const uint32_t oa = (uint32_t)fwgen_nn_dsp_sxtab16_ror8(off2, a);   /* cols 1, 3 */
                const uint32_t ec = (uint32_t)__sxtab16(off2, (int32_t)c);
                const uint32_t oc1 = (uint32_t)fwgen_nn_dsp_sxtab16_ror8(off2, c);
                const uint32_t e2 = (uint32_t)__sxtab16(off2, (int32_t)x);
                const uint32_t o2 = (uint32_t)fwgen_nn_dsp_sxtab16_ror8(off2, x);
                const uint32_t o2n = (uint32_t)fwgen_nn_dsp_sxtab16_ror8(off2, x1);   /* cols 2, 4 */
                d[0] = (int32_t)((ea & 0xFFFFu) | (ec << 16));            /* I(k) */
                d[1] = (int32_t)((e2 & 0xFFFFu) | (o2 << 16));            /* P(k) */
                d[2] = (int32_t)((oa & 0xFFFFu) | (oc1 << 16));            /* I(k + 1) */
                d[3] = (int32_t)((o2 & 0xFFFFu) | (o2n << 16));           /* P(k + 1) */
                d[4] = (int32_t)((ec & 0xFFFF0000u) | (ea >> 16));        /* I(k + 2) */
                d[5] = (int32_t)((o2 & 0xFFFF0000u) | (e2 >> 16));        /* P(k + 2) */
                d[6] = (int32_t)((oc1 & 0xFFFF0000u) | (oa >> 16));        /* I(k + 3) */
                d[7] = (int32_t)((o2n & 0xFFFF0000u) | (o2 >> 16));       /* P(k + 3) */
            }
            int8_t *out = output + ((size_t)b * out_h + oy) * out_w * out_c;
            const int32_t *win = buf;
            for (int32_t ox = 0; ox < out_w; ++ox, out += out_c, win += step) {
                fwgen_nn_dsp_1ch_3x3_pixel(win, table, out, out + out_c);
            }
        }
    }
}
#endif /* FWGEN_NN_1CH_USES_3X3 */

/* ---------------------------------------------------------------- 8-wide rows at stride 2
 * micro_speech's first layer (10x8/2, 1 -> 8; TFLM's depthwise 1 x 8 too): the ring's rows,
 * then per pair of neighbouring pixels their windows gathered into one block (LDM/STM), 5 words a row
 * (pixel A's 4 word pairs of taps, pixel B's 4 one word on), the rows padded to an even count
 * with 0. Each channel's table row holds 2 x bias, the doubled filter (4 words a row, 0 in the
 * padding), multiplier, rounding constant and shift, as the 3x3 path's: per two window rows
 * 4 LDMs and 16 SMLADs (a filter word serves both pixels), the requantization of both pixels
 * after. Calls outside the table paths' bounds take the ring. Stack: about 2.8 KB (the table 1.5 KB, the ring 1 KB).
 */
#if FWGEN_NN_1CH_USES_W8
#define FWGEN_NN_DSP_1CH_W8_TABLE_MAX 352   /* table words (micro_speech: 8 x 44) */
#define FWGEN_NN_DSP_1CH_W8_RING_MAX 576    /* int8 of the row ring (micro_speech: 11 x 48) */

/** Window rows of the 8-wide path: k_h rounded up to even. */
static inline int32_t fwgen_nn_dsp_1ch_w8_rows(const fwgen_nn_conv_params_t *p)
{
    return (p->filter.h + 1) & ~1;
}

/** Table words per output channel: 2 x bias, 4 a window row, multiplier, rounding, shift. */
static inline int32_t fwgen_nn_dsp_1ch_w8_row(const fwgen_nn_conv_params_t *p)
{
    return 4 * fwgen_nn_dsp_1ch_w8_rows(p) + 4;
}

/** Bytes of an int8 ring row: every column a pair reads (10 from 2 x ox, in 3 words). */
static inline int32_t fwgen_nn_dsp_1ch_w8_len(const fwgen_nn_conv_params_t *p)
{
    return (2 * p->output.w + 8 + 3) & ~3;
}

/** Whether a call (fwgen_nn_dsp_1ch_fits() holding) takes the 8-wide path: 7 or 8 taps a row,
 *  stride 2 along it, the table paths' requantization, the table within its buffer. */
static inline int fwgen_nn_dsp_1ch_w8_fits(const fwgen_nn_conv_params_t *p,
                                           const fwgen_nn_per_channel_t *q, const int32_t *bias)
{
    return fwgen_nn_dsp_1ch_pairs(p) == 4 && p->stride_w == 2 &&
           p->output.c * fwgen_nn_dsp_1ch_w8_row(p) <= FWGEN_NN_DSP_1CH_W8_TABLE_MAX &&
           (p->filter.h + 1) * fwgen_nn_dsp_1ch_w8_len(p) <= FWGEN_NN_DSP_1CH_W8_RING_MAX &&
           fwgen_nn_dsp_1ch_table_ok(p, q, bias);
}

/* Two window rows of one channel for both pixels: the pixels' 5 words, the filter's 4. */
#define FWGEN_NN_DSP_1CH_W8_ROW                                                                    \
    "ldm    r2!, {r4-r8}\n\t"                                                                     \
    "ldm    r3!, {r9-r12}\n\t"                                                                    \
    "smlad  r0, r4, r9, r0\n\t"                                                                   \
    "smlad  r0, r5, r10, r0\n\t"                                                                  \
    "smlad  r0, r6, r11, r0\n\t"                                                                  \
    "smlad  r0, r7, r12, r0\n\t"                                                                  \
    "smlad  r1, r5, r9, r1\n\t"                                                                   \
    "smlad  r1, r6, r10, r1\n\t"                                                                  \
    "smlad  r1, r7, r11, r1\n\t"                                                                  \
    "smlad  r1, r8, r12, r1\n\t"

/* One window row of the pair into the block: its 10 int8 taps from the ring row at byte
 * offset r5 (3 words at lr), the input offset (r3) added, as 5 words of int16 tap pairs. */
#define FWGEN_NN_DSP_1CH_W8_GATHER                                                                 \
    "ldr    lr, [r0], #4\n\t"                                                                     \
    "add    lr, lr, r5\n\t"                                                                       \
    "ldr    r7, [lr]\n\t"                                                                         \
    "sxtab16 r9, r3, r7, ror #8\n\t"                                                              \
    "sxtab16 r7, r3, r7\n\t"                                                                      \
    "pkhbt  r8, r7, r9, lsl #16\n\t"                                                              \
    "pkhtb  r9, r9, r7, asr #16\n\t"                                                              \
    "ldr    r7, [lr, #4]\n\t"                                                                     \
    "sxtab16 r11, r3, r7, ror #8\n\t"                                                             \
    "sxtab16 r7, r3, r7\n\t"                                                                      \
    "pkhbt  r10, r7, r11, lsl #16\n\t"                                                            \
    "pkhtb  r11, r11, r7, asr #16\n\t"                                                            \
    "ldr    r7, [lr, #8]\n\t"                                                                     \
    "sxtab16 r12, r3, r7, ror #8\n\t"                                                             \
    "sxtab16 r7, r3, r7\n\t"                                                                      \
    "pkhbt  r12, r7, r12, lsl #16\n\t"                                                            \
    "stm    r6!, {r8-r12}\n\t"

/** All channels of a pixel pair. `rows` the window's int8 ring rows, ctx = {input offset in both
 *  int16 lanes, rows (even), pixel A's byte offset in a row, out_c, the block}: first the rows
 *  gathered into the block, then per channel (`table` their rows) A's output at `out`, B's
 *  out_c bytes on. Every register in use (naked asm): r0/r1 A's/B's accumulator, r2 the
 *  block, r3 the table, r4-r8 the pixels' words, r9-r12 the filter's, lr the block's end; the
 *  output pointer, out_c, the block's start and the outputs' end on the stack (16 B beside the
 *  36 B pushed, which -fstack-usage does not see for a naked function: within the stack
 *  bound's margin for assembly). */
static __attribute__((naked, noinline)) void
fwgen_nn_dsp_1ch_w8_pair(const int8_t *const *rows, const int32_t *table, int8_t *out,
                         const int32_t ctx[5])
{
    (void)rows, (void)table, (void)out, (void)ctx;
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "ldm    r3, {r3-r7}\n\t"      /* offset x 2, rows, byte offset, out_c, block */
                     "add    r8, r2, r6\n\t"
                     "push   {r2, r6, r7, r8}\n\t" /* out, out_c, block, end */
                     "mov    r6, r7\n\t"
                     "add    r4, r0, r4, lsl #2\n"
                     "3:\n\t"
                     FWGEN_NN_DSP_1CH_W8_GATHER
                     FWGEN_NN_DSP_1CH_W8_GATHER
                     "cmp    r0, r4\n\t"
                     "bne    3b\n\t"
                     "mov    lr, r6\n\t"           /* the block's end */
                     "mov    r3, r1\n"
                     "1:\n\t"
                     "ldr    r0, [r3], #4\n\t"     /* 2 x bias */
                     "mov    r1, r0\n\t"
                     "ldr    r2, [sp, #8]\n"
                     "2:\n\t"
                     FWGEN_NN_DSP_1CH_W8_ROW
                     FWGEN_NN_DSP_1CH_W8_ROW
                     "cmp    r2, lr\n\t"
                     "bne    2b\n\t"
                     "ldm    r3!, {r4-r6}\n\t"     /* multiplier, rounding + offset, shift */
                     "smmulr r0, r0, r4\n\t"
                     "smmulr r1, r1, r4\n\t"
                     "add    r7, r5, r0, asr #31\n\t"
                     "add    r0, r0, r7\n\t"
                     "add    r7, r5, r1, asr #31\n\t"
                     "add    r1, r1, r7\n\t"
                     "asr    r0, r0, r6\n\t"
                     "asr    r1, r1, r6\n\t"
                     "ssat   r0, #8, r0\n\t"
                     "ssat   r1, #8, r1\n\t"
                     "ldrd   r4, r5, [sp]\n\t"       /* out, out_c */
                     "strb   r1, [r4, r5]\n\t"
                     "strb   r0, [r4], #1\n\t"
                     "ldr    r5, [sp, #12]\n\t"
                     "str    r4, [sp]\n\t"
                     "cmp    r4, r5\n\t"
                     "bne    1b\n\t"
                     "add    sp, #16\n\t"
                     "pop    {r4-r11, pc}");
}

/** The whole call on the 8-wide path (fwgen_nn_dsp_1ch_w8_fits() holding); arguments as
 *  fwgen_nn_dsp_conv1ch(). */
static __attribute__((noinline)) void
fwgen_nn_dsp_1ch_w8(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                    const int8_t *input, const int8_t *filter, int32_t tap_stride,
                    int32_t channel_stride, const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w;
    const int32_t out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
    const int32_t k_h = p->filter.h, k_w = p->filter.w;
    const int32_t len = fwgen_nn_dsp_1ch_w8_len(p), lead = p->pad_left;
    const int32_t rows2 = fwgen_nn_dsp_1ch_w8_rows(p), row_words = fwgen_nn_dsp_1ch_w8_row(p);
    int32_t table[FWGEN_NN_DSP_1CH_W8_TABLE_MAX] __attribute__((aligned(8)));
    int8_t ring[FWGEN_NN_DSP_1CH_W8_RING_MAX] __attribute__((aligned(4)));
    int32_t block[5 * FWGEN_NN_DSP_1CH_ROWS_MAX] __attribute__((aligned(8)));
    int32_t tag[FWGEN_NN_DSP_1CH_ROWS_MAX];
    const int8_t *rows[FWGEN_NN_DSP_1CH_ROWS_MAX];
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *f = filter + oc * channel_stride;
        int32_t *w = table + oc * row_words;
        const int32_t e = -q->shift[oc];
        *w++ = bias != NULL ? 2 * bias[oc] : 0;
        for (int32_t ky = 0; ky < rows2; ++ky) {
            for (int32_t kx = 0; kx < 8; kx += 2, ++w) {
                const int32_t t0 = ky < k_h ? 2 * f[(ky * k_w + kx) * tap_stride] : 0;
                const int32_t t1 = ky < k_h && kx + 1 < k_w ? 2 * f[(ky * k_w + kx + 1) * tap_stride] : 0;
                *w = fwgen_nn_dsp_1ch_pack(t0, t1);
            }
        }
        w[0] = q->multiplier[oc];
        w[1] = fwgen_nn_dsp_1ch_round(e, p->output_offset);
        w[2] = e;
    }
    /* int8 rows, the padding -input_offset (0 once the offset is added): k_h slots, then the
     * row standing for rows outside the input and the padding row of an odd k_h */
    const int8_t pad = (int8_t)-p->input_offset;
    int8_t *pad_row = ring + k_h * len;
    fwgen_nn_dsp_fill(pad_row, pad, len);
    const int32_t n = in_w < len - lead ? in_w : len - lead;   /* input columns a row holds */
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16));
    int32_t ctx[5] = {off2, rows2, 0, out_c, (int32_t)(uintptr_t)block};
    for (int32_t bi = 0; bi < p->output.n; ++bi) {
        const int32_t b = p->reverse ? p->output.n - 1 - bi : bi;
        const int8_t *in_b = input + (size_t)b * in_h * in_w;
        for (int32_t s = 0; s < k_h; ++s) {
            tag[s] = -1;
        }
        for (int32_t yi = 0; yi < out_h; ++yi) {
            const int32_t oy = p->reverse ? out_h - 1 - yi : yi;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ky = 0; ky < rows2; ++ky) {
                const int32_t iy = y0 + ky;
                if (ky >= k_h || iy < 0 || iy >= in_h) {
                    rows[ky] = pad_row;
                    continue;
                }
                const int32_t slot = iy % k_h;   /* k_h consecutive rows: distinct slots */
                int8_t *row = ring + slot * len;
                if (tag[slot] != iy) {
                    fwgen_nn_dsp_fill(row, pad, lead);
                    fwgen_nn_dsp_copy(row + lead, in_b + (size_t)iy * in_w, n);
                    fwgen_nn_dsp_fill(row + lead + n, pad, len - lead - n);
                    tag[slot] = iy;
                }
                rows[ky] = row;
            }
            int8_t *out_row = output + ((size_t)b * out_h + oy) * out_w * out_c;
            for (int32_t i = 0; i < out_w; i += 2) {
                const int32_t ox = i + 1 < out_w ? i : out_w - 2;   /* an odd row's last pair overlaps */
                ctx[2] = 2 * ox;
                fwgen_nn_dsp_1ch_w8_pair(rows, table, out_row + ox * out_c, ctx);
            }
        }
    }
}
#endif /* FWGEN_NN_1CH_USES_W8 */

#if !FWGEN_NN_1CH_USES_RING
/** Any call, pixel by pixel as the portable kernel: for the builds that leave the ring out. */
static __attribute__((noinline)) void
fwgen_nn_dsp_1ch_plain(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                       const int8_t *input, const int8_t *filter, int32_t tap_stride,
                       int32_t channel_stride, const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, out_c = p->output.c, k_w = p->filter.w;
    const int32_t pixels = p->output.n * p->output.h * p->output.w;
    for (int32_t i = 0; i < pixels; ++i) {
        const int32_t px = p->reverse ? pixels - 1 - i : i;
        const fwgen_nn_window_t win = fwgen_nn_window(px, &p->input, &p->output, p->filter.h, k_w,
                                                      p->stride_h, p->stride_w, 1, 1, p->pad_top,
                                                      p->pad_left);
        for (int32_t oc = 0; oc < out_c; ++oc) {
            int32_t acc = bias != NULL ? bias[oc] : 0;
            for (int32_t ky = win.ky0; ky < win.ky1; ++ky) {
                const int8_t *x = input + ((size_t)win.b * in_h + win.y0 + ky) * in_w + win.x0;
                for (int32_t kx = win.kx0; kx < win.kx1; ++kx) {
                    acc += (x[kx] + p->input_offset) *
                           filter[(ky * k_w + kx) * tap_stride + oc * channel_stride];
                }
            }
            output[(size_t)px * out_c + oc] = fwgen_nn_dsp_output(
                acc, q->multiplier[oc], q->shift[oc], p->output_offset, p->act_min, p->act_max);
        }
    }
}
#endif

/**
 * The whole call (fwgen_nn_dsp_1ch_fits(p) must hold). Filter tap (ky, kx) of output channel oc
 * is filter[(ky * k_w + kx) * tap_stride + oc * channel_stride]: tap_stride = out_c, channel
 * stride 1 for a depthwise filter [1][kh][kw][C]; tap_stride 1, channel_stride kh * kw for a
 * conv filter [C][kh][kw][1].
 */
static inline void fwgen_nn_dsp_conv1ch(const fwgen_nn_conv_params_t *p,
                                        const fwgen_nn_per_channel_t *q, const int8_t *input,
                                        const int8_t *filter, int32_t tap_stride,
                                        int32_t channel_stride, const int32_t *bias,
                                        int8_t *output)
{
#if FWGEN_NN_1CH_USES_3X3
    if (fwgen_nn_dsp_1ch_3x3_fits(p, q, bias)) {
        fwgen_nn_dsp_1ch_3x3(p, q, input, filter, tap_stride, channel_stride, bias, output);
        return;
    }
#endif
#if FWGEN_NN_1CH_USES_W8
    if (fwgen_nn_dsp_1ch_w8_fits(p, q, bias)) {
        fwgen_nn_dsp_1ch_w8(p, q, input, filter, tap_stride, channel_stride, bias, output);
        return;
    }
#endif
#if FWGEN_NN_1CH_USES_RING
    fwgen_nn_dsp_1ch_rows(p, q, input, filter, tap_stride, channel_stride, bias, output);
#else
    fwgen_nn_dsp_1ch_plain(p, q, input, filter, tap_stride, channel_stride, bias, output);
#endif
}

#endif /* FWGEN_NN_DSP_CONV1CH_H */
