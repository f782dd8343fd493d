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
 * accumulate in registers (each filter word serves both pixels; with stride 2 each input word
 * both too), 8-wide rows at stride 2 unrolled with immediate offsets (with right-shift
 * requantization, as int8 models have: one instantiation); requantization is inline.
 * Stack: about 2.8 KB; code about 2.4 KB (the 3x3 path below 1 KB more). Output rows go in the portable kernel's
 * order (`reverse` too) and each reads its input rows before writing, so the output may overlap
 * the input as the memory planner lets it.
 */
#ifndef FWGEN_NN_DSP_CONV1CH_H
#define FWGEN_NN_DSP_CONV1CH_H

#include "nn/dsp/nn_dsp.h"

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

/* Pair J of a window row: input words xa (pixel A's two taps) and xb (pixel B's) times the two
 * channels' filter words (one LDRD with an immediate offset). Volatile, without memory
 * operands: it reads the widened filter, which a memory barrier after it is written keeps the
 * block behind. */
#define FWGEN_NN_DSP_1CH_PAIR(J)                                                                 \
    do {                                                                                      \
        uint32_t xa_, xb_;                                                                    \
        int32_t t1_, t2_;                                                                     \
        memcpy(&xa_, xa + 2 * (J), sizeof xa_);                                               \
        memcpy(&xb_, xb + 2 * (J), sizeof xb_);                                               \
        __asm__ volatile("ldrd  %[t1], %[t2], [%[w], #" #J "*8]\n\t"                           \
                         "smlad %[a0], %[xa], %[t1], %[a0]\n\t"                                \
                         "smlad %[a1], %[xa], %[t2], %[a1]\n\t"                                \
                         "smlad %[a2], %[xb], %[t1], %[a2]\n\t"                                \
                         "smlad %[a3], %[xb], %[t2], %[a3]"                                      \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),         \
                           [t1] "=&r"(t1_), [t2] "=&r"(t2_)                                    \
                         : [xa] "r"(xa_), [xb] "r"(xb_), [w] "r"(w));                          \
    } while (0)

/** Two channels of two pixels A and B: acc[2 * px + c] = bias[c] + sum over the window of x * w,
 *  `rows[ky] + xa0` (`+ xb0`) being pixel A's (B's) window row ky in the ring, `w` the channel
 *  pair's widened filter ([ky][pair][2 channels]). With UNROLL, PAIRS (4 or 2) and B's distance
 *  from A are constants of the caller's specialisation, and a row unrolls (at stride 2, B's
 *  words are A's shifted by one, loaded once); else a loop. */
static inline __attribute__((always_inline)) void
fwgen_nn_dsp_1ch_block(const int16_t *const *rows, int32_t k_h, int32_t xa0, int32_t ab,
                       const int32_t *w, int32_t pairs, int unroll, const int32_t *bias,
                       int32_t acc[4])
{
    int32_t a0, a1;
    FWGEN_NN_DSP_1CH_LDRD(bias, 0, a0, a1);
    int32_t a2 = a0, a3 = a1;
    const int16_t *const *end = rows + k_h;   /* a pointer walk: one register fewer than ky */
    for (; rows < end; ++rows, w += pairs * FWGEN_NN_DSP_1CH_LANES) {
        const int16_t *xa = *rows + xa0;
        const int16_t *xb = xa + ab;
        switch (unroll ? pairs : 0) {   /* UNROLL (a constant): PAIRS a constant 4 or 2 */
        case 4:
            FWGEN_NN_DSP_1CH_PAIR(3);
            FWGEN_NN_DSP_1CH_PAIR(2);
            /* fall through */
        case 2:
            FWGEN_NN_DSP_1CH_PAIR(1);
            FWGEN_NN_DSP_1CH_PAIR(0);
            break;
        default:
            for (int32_t j = 0; j < pairs; ++j) {
                uint32_t va, vb;
                memcpy(&va, xa + 2 * j, sizeof va);
                memcpy(&vb, xb + 2 * j, sizeof vb);
                a0 = __smlad((int32_t)va, w[2 * j], a0);
                a1 = __smlad((int32_t)va, w[2 * j + 1], a1);
                a2 = __smlad((int32_t)vb, w[2 * j], a2);
                a3 = __smlad((int32_t)vb, w[2 * j + 1], a3);
            }
            break;
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
                         int32_t pairs, int32_t stride_w, int unroll, int rshift,
                         int8_t *out_row)
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
                                   pairs, unroll, bias + oc, acc);
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
    __asm__ volatile("" ::: "memory");   /* the filter is written before FWGEN_NN_DSP_1CH_PAIR */
    const int rshift = fwgen_nn_dsp_rshift_only(q->shift, out_c, p->act_min, p->act_max);
    const int fast = pairs == 4 && p->stride_w == 2 && rshift;
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
                    fwgen_nn_dsp_1ch_widen_row(row, in_b + (size_t)iy * in_w, p->pad_left, in_w,
                                               len, p->input_offset);
                    tag[slot] = iy;
                }
                rows[ky] = row;
            }
            int8_t *out_row = output + ((size_t)b * out_h + oy) * out_w * out_c;
            /* micro_speech's 8-wide rows at stride 2 with right-shift requantization, all
             * constants; a 3x3 (2 pairs) one too saved Yamnet's stem 0.76 M instructions for
             * 1 KB more code: not taken */
            if (fast) {
                fwgen_nn_dsp_1ch_out_row(p, q, bias_pad, rows, wide, 4, 2, 1, 1, out_row);
            } else {
                fwgen_nn_dsp_1ch_out_row(p, q, bias_pad, rows, wide, pairs, p->stride_w, 0,
                                         rshift, out_row);
            }
        }
    }
}

/* ---------------------------------------------------------------- 3x3 windows
 * Yamnet's stem (3x3/2, 1 -> 32): a window of 9 taps in 5 SMLADs instead of the ring's 6, and
 * requantization in 5 instructions. Per output row, the 3 input rows are widened and combined
 * into one buffer of two words per padded column k: I(k) = (row 0, row 1) at column k and
 * P(k) = row 2 at columns (k, k + 1), so that a pixel's window is the 6 words from I(x0) on
 * (I(x0), P(x0), I(x0 + 1), -, I(x0 + 2), P(x0 + 2)), one LDM. Each channel's table row holds
 * 2 x bias, its filter as the matching 5 words (taps doubled, the unpaired one beside a 0),
 * multiplier, rounding constant and right shift: two LDMs per output. Taps doubled make the
 * accumulator 2 x acc, and SMMULR (2 x acc, m) is TFLM's rounding doubling high multiply when
 * |acc| < 2^30 (the bias bound below); the rounding right shift by e >= 1 with the output
 * offset is (high + 2^(e-1) + (high < 0 ? -1 : 0) + offset * 2^e) >> e, the same integer (no
 * overflow for e <= 22), then SSAT. Calls outside these bounds take the ring. A build whose
 * model has no such layer may define FWGEN_NN_1CH_USES_3X3 0 (about 1 KB of code less).
 * Stack: about 2.6 KB (the table 1.1 KB, the rows 1.4 KB).
 */
#ifndef FWGEN_NN_1CH_USES_3X3
#define FWGEN_NN_1CH_USES_3X3 1
#endif

#if FWGEN_NN_1CH_USES_3X3
#define FWGEN_NN_DSP_1CH_3X3_COLS_MAX 96       /* padded input columns of a row (stack) */
#define FWGEN_NN_DSP_1CH_3X3_ROW 9             /* table words per output channel */
#define FWGEN_NN_DSP_1CH_3X3_SHIFT_MAX 22      /* right shifts the offset folds into */
#define FWGEN_NN_DSP_1CH_3X3_BIAS_MAX (1 << 29) /* |bias|: |acc| < 2^30 with 9 taps of 255 x 128 */

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
    if (p->filter.h != 3 || p->filter.w != 3 || p->act_min != -128 || p->act_max != 127 ||
        fwgen_nn_dsp_1ch_3x3_cols(p) > FWGEN_NN_DSP_1CH_3X3_COLS_MAX) {
        return 0;
    }
    for (int32_t oc = 0; oc < p->output.c; ++oc) {
        const int32_t e = -q->shift[oc];
        if (e < 1 || e > FWGEN_NN_DSP_1CH_3X3_SHIFT_MAX ||
            (bias != NULL && (bias[oc] >= FWGEN_NN_DSP_1CH_3X3_BIAS_MAX ||
                              bias[oc] <= -FWGEN_NN_DSP_1CH_3X3_BIAS_MAX))) {
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
    const int32_t cols = fwgen_nn_dsp_1ch_3x3_cols(p);
    const int32_t len = (cols + 3) & ~1;   /* int16 per widened row: up to column cols + 1 */
    int32_t table[FWGEN_NN_DSP_1CH_CHANNELS_MAX * FWGEN_NN_DSP_1CH_3X3_ROW]
        __attribute__((aligned(8)));
    int32_t buf[2 * FWGEN_NN_DSP_1CH_3X3_COLS_MAX + 2] __attribute__((aligned(8)));
    int16_t rows[3][FWGEN_NN_DSP_1CH_3X3_COLS_MAX + 2] __attribute__((aligned(4)));
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
        w[7] = (1 << (e - 1)) + p->output_offset * (1 << e);
        w[8] = e;
    }
    for (int32_t bi = 0; bi < p->output.n; ++bi) {
        const int32_t b = p->reverse ? p->output.n - 1 - bi : bi;
        const int8_t *in_b = input + (size_t)b * in_h * in_w;
        for (int32_t yi = 0; yi < out_h; ++yi) {
            const int32_t oy = p->reverse ? out_h - 1 - yi : yi;
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t r = 0; r < 3; ++r) {
                if (y0 + r < 0 || y0 + r >= in_h) {
                    memset(rows[r], 0, (size_t)len * sizeof rows[r][0]);
                } else {
                    fwgen_nn_dsp_1ch_widen_row(rows[r], in_b + (size_t)(y0 + r) * in_w,
                                               p->pad_left, in_w, len, p->input_offset);
                }
            }
            for (int32_t k = 0; k < cols; k += 2) {   /* I(k), P(k), I(k + 1), P(k + 1) */
                uint32_t a, c, d, e;
                memcpy(&a, rows[0] + k, sizeof a);
                memcpy(&c, rows[1] + k, sizeof c);
                memcpy(&d, rows[2] + k, sizeof d);
                memcpy(&e, rows[2] + k + 1, sizeof e);
                buf[2 * k] = (int32_t)((a & 0xFFFFu) | (c << 16));
                buf[2 * k + 1] = (int32_t)d;
                buf[2 * k + 2] = (int32_t)((a >> 16) | (c & 0xFFFF0000u));
                buf[2 * k + 3] = (int32_t)e;
            }
            int8_t *out = output + ((size_t)b * out_h + oy) * out_w * out_c;
            for (int32_t ox = 0; ox < out_w; ++ox, out += out_c) {
                fwgen_nn_dsp_1ch_3x3_pixel(buf + 2 * ox * p->stride_w, table, out, out + out_c);
            }
        }
    }
}
#endif /* FWGEN_NN_1CH_USES_3X3 */

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
    fwgen_nn_dsp_1ch_rows(p, q, input, filter, tap_stride, channel_stride, bias, output);
}

#endif /* FWGEN_NN_DSP_CONV1CH_H */
