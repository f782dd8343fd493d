/*
 * ADD int8: the DSP-extension variant of firmware/nn/nn_add_s8.c, bit-exact with it (and TFLM's
 * reference_integer_ops::Add: each input (x + offset) << 20 through a doubling high multiply and
 * a rounding right shift, their sum through the output's, the output offset and the clamp).
 *
 * Rows whose inputs are contiguous (equal shapes, which the compiler collapses into one row,
 * or a channel vector broadcast over pixels) take a loop of about 16 instructions per element
 * where the call's parameters are those of an int8 model (checked once per call, add_fast_ok):
 * - an input with multiplier 2^30 and shift 0 (the input of the larger scale always has them:
 *   its real multiplier is 1/2) is scaled exactly to (x + offset) << 19: one add;
 * - an input with a right shift r >= 1: its doubling high multiply of v = (x + offset) << 20 is
 *   SMMULR(v << 1, m) (round half up at 2^31, as TFLM's; v << 1 fits in 31 bits), and the
 *   rounding right shift (half away from zero) is (h + 2^(r - 1) - (h < 0)) >> r, where h < 0
 *   only if v < 0 and h = 0 is never a tie: SMMLAR adds 2^(r - 1), v's sign bit is one add;
 * - the output likewise on twice the sum (|sum| < 2^29), with the output offset << r folded
 *   into the rounding constant (r <= 21), then SSAT to int8 and the clamp where it is narrower;
 * - a call of ADD_TABLE_MIN elements or more with one input half and one scaled tables twice the
 *   scaled input's value for its 256 values (with the half input's offset term) on the stack
 *   once: an element is then 2 loads, a table load, an add and the output (about 12).
 * An input broadcast along the row (a scalar, or one value per pixel) is read from a buffer of
 * its value repeated, in chunks of ADD_FILL. Other calls (other parameters, strides the compiler
 * does not give) are the portable arithmetic.
 */
#include "nn/nn.h"
#include "nn/dsp/nn_dsp.h"

/* Copies of a value broadcast along a row the fast loop reads at a time (bytes of stack, each). */
#define ADD_FILL 64

/* Elements from which a call tables its scaled input (1 KB of stack). */
#define ADD_TABLE_MIN 512

/* The multiplier and shift TFLM's ADD gives the input of the larger scale (a real 1/2). */
#define ADD_HALF_MULTIPLIER (1L << 30)

/* a + ((x * y + 2^31) >> 32): SMMLAR (not in GCC 12's arm_acle.h). */
static inline int32_t add_smmlar(int32_t x, int32_t y, int32_t a)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(a));
    return r;
}

/* One input's constants for the fast loop. */
typedef struct {
    int32_t off;    /* offset << 20 (half) or << 21 (scaled) */
    int32_t mult;
    int32_t round;  /* 2^(shift - 1) */
    int32_t shift;  /* the right shift, >= 1 (scaled) */
} add_input_t;

/* How the fast loop scales an input: TFLM's arithmetic, its multiplier 1/2, or a table. */
enum { ADD_SCALED, ADD_HALF, ADD_TABLED };

/* Twice the input's scaled value (TFLM's scaled_inputN_val); ADD_TABLED: tab[x] (tab points at
 * the entry of x = 0). */
static inline __attribute__((always_inline)) int32_t add_scaled2(int kind, int32_t x,
                                                                 add_input_t c, const int32_t *tab)
{
    if (kind == ADD_TABLED) {
        return tab[x];
    }
    if (kind == ADD_HALF) {
        return c.off + (int32_t)((uint32_t)x << 20);
    }
    const int32_t v = c.off + (int32_t)((uint32_t)x << 21);
    const int32_t h = add_smmlar(v, c.mult, c.round) + (v >> 31);
    return (int32_t)((uint32_t)(h >> c.shift) << 1);
}

/* One output from twice the sum of the scaled inputs. */
static inline __attribute__((always_inline)) int8_t add_output(int clamp, int32_t t2,
                                                               add_input_t co, int32_t lo,
                                                               int32_t hi)
{
    int32_t o = add_smmlar(t2, co.mult, co.round) + (t2 >> 31);
    o = __ssat(o >> co.shift, 8);
    if (clamp) {
        o = o > hi ? hi : o;
        o = o < lo ? lo : o;
    }
    return (int8_t)o;
}

/* One contiguous row of `n` outputs; `kind1`, `kind2`, `clamp` are constants in each caller, so
 * each combination compiles to its own loop. */
static inline __attribute__((always_inline)) void add_row(int kind1, int kind2, int clamp,
                                                          const int8_t *a, const int8_t *b,
                                                          int8_t *out, int32_t n, add_input_t c1,
                                                          add_input_t c2, const int32_t *tab,
                                                          add_input_t co, int32_t lo, int32_t hi)
{
    const int8_t *end = out + n;
    if (kind2 == ADD_TABLED) {   /* the table holds the half input's offset term too */
#pragma GCC unroll 2
        while (out != end) {
            *out++ = add_output(clamp, tab[*b++] + (int32_t)((uint32_t)*a++ << 20), co, lo, hi);
        }
        return;
    }
    while (out != end) {
        const int32_t t2 = add_scaled2(kind1, *a++, c1, tab) + add_scaled2(kind2, *b++, c2, tab);
        *out++ = add_output(clamp, t2, co, lo, hi);
    }
}

static int add_input_kind_ok(int32_t offset, int32_t mult, int32_t shift)
{
    const int half = mult == ADD_HALF_MULTIPLIER && shift == 0;
    return offset >= -128 && offset <= 128 && (half || (mult >= 0 && shift <= -1 && shift >= -31));
}

/* Whether the call's parameters are those the fast loop computes exactly (see the top). */
static int add_fast_ok(const fwgen_nn_binary_params_t *p)
{
    return p->left_shift == 20 &&
           add_input_kind_ok(p->input1_offset, p->input1_multiplier, p->input1_shift) &&
           add_input_kind_ok(p->input2_offset, p->input2_multiplier, p->input2_shift) &&
           p->output_multiplier >= 0 && p->output_shift <= -1 && p->output_shift >= -21 &&
           p->output_offset >= -128 && p->output_offset <= 128 &&
           p->act_min >= -128 && p->act_max <= 127 && p->act_min <= p->act_max;
}

static add_input_t add_input(int32_t offset, int32_t mult, int32_t shift)
{
    add_input_t c = {0, mult, 0, -shift};
    if (mult == ADD_HALF_MULTIPLIER && shift == 0) {
        c.off = (int32_t)((uint32_t)offset << 20);
    } else {
        c.off = (int32_t)((uint32_t)offset << 21);
        c.round = (int32_t)(1u << (-shift - 1));
    }
    return c;
}

typedef struct {
    int half1, half2, clamp;
    add_input_t c1, c2, co;
    int32_t lo, hi;
    const int32_t *tab;   /* NULL, or the scaled input's table (one input half, see the call) */
} add_fast_t;

/* Each loop its own function, so that each gets the registers to itself. */
#define ADD_ROW_FN(name, kind1, kind2, clamp)                                                  \
    static __attribute__((noinline)) void name(const int8_t *a, const int8_t *b, int8_t *out, \
                                               int32_t n, const add_fast_t *f,                 \
                                               add_input_t c1, add_input_t c2)                 \
    {                                                                                          \
        add_row(kind1, kind2, clamp, a, b, out, n, c1, c2, f->tab, f->co, f->lo, f->hi);       \
    }
ADD_ROW_FN(add_row_hh, ADD_HALF, ADD_HALF, 0)
ADD_ROW_FN(add_row_hh_clamp, ADD_HALF, ADD_HALF, 1)
/* The half + scaled loop without a clamp (on_off_v3's small residual ADDs) in asm, 16
 * instructions an element (GCC's spills two of its 12 live values: 18): 11 values and 2
 * temporaries in registers, which leaves one for a frame pointer (-O0), the output's shift read
 * from the stack. */
static __attribute__((noinline)) void add_row_hs(const int8_t *a, const int8_t *b, int8_t *out,
                                                 int32_t n, const add_fast_t *f, add_input_t ch,
                                                 add_input_t cs)
{
    const int8_t *end = out + n;
    const int32_t ro = f->co.shift;
    int32_t t, u;
    if (n <= 0) {
        return;
    }
    __asm__ volatile(
        "1:\n\t"
        "ldrsb   %[t], [%[b]], #1\n\t"
        "add     %[t], %[offs], %[t], lsl #21\n\t"          /* v */
        "smmlar  %[u], %[t], %[ms], %[rnds]\n\t"
        "add     %[u], %[u], %[t], asr #31\n\t"
        "asr     %[u], %[u], %[rs]\n\t"                     /* the scaled value */
        "ldrsb   %[t], [%[a]], #1\n\t"
        "add     %[t], %[offh], %[t], lsl #20\n\t"
        "add     %[t], %[t], %[u], lsl #1\n\t"              /* twice the sum */
        "smmlar  %[u], %[t], %[mo], %[rndo]\n\t"
        "add     %[u], %[u], %[t], asr #31\n\t"
        "ldr     %[t], %[ro]\n\t"
        "asr     %[u], %[u], %[t]\n\t"
        "ssat    %[u], #8, %[u]\n\t"
        "strb    %[u], [%[out]], #1\n\t"
        "cmp     %[out], %[end]\n\t"
        "bne     1b\n\t"
        : [a] "+r"(a), [b] "+r"(b), [out] "+r"(out), [t] "=&r"(t), [u] "=&r"(u)
        : [end] "r"(end), [offh] "r"(ch.off), [offs] "r"(cs.off), [ms] "r"(cs.mult),
          [rnds] "r"(cs.round), [rs] "r"(cs.shift), [mo] "r"(f->co.mult), [rndo] "r"(f->co.round),
          [ro] "m"(ro)
        : "cc", "memory");
}
ADD_ROW_FN(add_row_hs_clamp, ADD_HALF, ADD_SCALED, 1)
ADD_ROW_FN(add_row_ht, ADD_HALF, ADD_TABLED, 0)
ADD_ROW_FN(add_row_ht_clamp, ADD_HALF, ADD_TABLED, 1)
ADD_ROW_FN(add_row_ss, ADD_SCALED, ADD_SCALED, 0)
ADD_ROW_FN(add_row_ss_clamp, ADD_SCALED, ADD_SCALED, 1)

/* The fast loop for a contiguous row: the input kinds, the clamp. */
static void add_fast_row(const add_fast_t *f, const int8_t *a, const int8_t *b, int8_t *out,
                         int32_t n)
{
    if (f->half1 && f->half2) {
        (f->clamp ? add_row_hh_clamp : add_row_hh)(a, b, out, n, f, f->c1, f->c2);
    } else if (f->half1 || f->half2) {   /* the half input first: the sum is symmetric */
        const int8_t *h = f->half1 ? a : b, *s = f->half1 ? b : a;
        const add_input_t ch = f->half1 ? f->c1 : f->c2, cs = f->half1 ? f->c2 : f->c1;
        if (f->tab != NULL) {   /* the half input's offset is in the table */
            (f->clamp ? add_row_ht_clamp : add_row_ht)(h, s, out, n, f, ch, cs);
        } else {
            (f->clamp ? add_row_hs_clamp : add_row_hs)(h, s, out, n, f, ch, cs);
        }
    } else {
        (f->clamp ? add_row_ss_clamp : add_row_ss)(a, b, out, n, f, f->c1, f->c2);
    }
}

/* tab[x] for x in [-128, 127] (tab points at x = 0): twice the scaled input's value plus the
 * half input's offset term, as add_scaled2() computes them. */
static __attribute__((noinline)) void add_fill_table(int32_t *tab, add_input_t scaled,
                                                     int32_t half_off)
{
#pragma GCC unroll 4
    for (int32_t x = -128; x < 128; ++x) {
        tab[x] = add_scaled2(ADD_SCALED, x, scaled, NULL) + half_off;
    }
}

/* The portable kernel's arithmetic for one output. */
static int8_t add_exact(const fwgen_nn_binary_params_t *p, int32_t x1, int32_t x2)
{
    const int32_t v1 = (int32_t)((uint32_t)(p->input1_offset + x1) << p->left_shift);
    const int32_t v2 = (int32_t)((uint32_t)(p->input2_offset + x2) << p->left_shift);
    const int32_t s1 = fwgen_nn_requantize(v1, p->input1_multiplier, p->input1_shift);
    const int32_t s2 = fwgen_nn_requantize(v2, p->input2_multiplier, p->input2_shift);
    int32_t out = fwgen_nn_requantize(s1 + s2, p->output_multiplier, p->output_shift) + p->output_offset;
    out = out < p->act_min ? p->act_min : (out > p->act_max ? p->act_max : out);
    return (int8_t)out;
}

fwgen_status_t fwgen_nn_add_s8(const fwgen_nn_binary_params_t *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output)
{
    if (p == NULL || input1 == NULL || input2 == NULL || output == NULL) {
        return FWGEN_ERR_ARG;
    }
    add_fast_t f;
    const int32_t s1 = p->in1_strides[3], s2 = p->in2_strides[3];
    const int fast = add_fast_ok(p) && (s1 == 0 || s1 == 1) && (s2 == 0 || s2 == 1);
    int8_t fill1[ADD_FILL], fill2[ADD_FILL];   /* a broadcast value, repeated */
    int32_t table[256];
    if (fast) {
        f.half1 = p->input1_multiplier == ADD_HALF_MULTIPLIER && p->input1_shift == 0;
        f.half2 = p->input2_multiplier == ADD_HALF_MULTIPLIER && p->input2_shift == 0;
        f.clamp = p->act_min > -128 || p->act_max < 127;
        f.c1 = add_input(p->input1_offset, p->input1_multiplier, p->input1_shift);
        f.c2 = add_input(p->input2_offset, p->input2_multiplier, p->input2_shift);
        /* the output: the offset rides in the rounding constant */
        const int32_t r = -p->output_shift;
        f.co = (add_input_t){0, p->output_multiplier,
                             (int32_t)((1u << (r - 1)) + ((uint32_t)p->output_offset << r)), r};
        f.lo = p->act_min;
        f.hi = p->act_max;
        f.tab = NULL;
        /* one input half, the other scaled: its 256 values once, where the call has enough
         * elements to repay that (about 8 instructions an entry, 5 saved an element) */
        const int32_t elements = p->out_dims[0] * p->out_dims[1] * p->out_dims[2] * p->out_dims[3];
        if (f.half1 != f.half2 && elements >= ADD_TABLE_MIN) {
            add_fill_table(table + 128, f.half1 ? f.c2 : f.c1, f.half1 ? f.c1.off : f.c2.off);
            f.tab = table + 128;
        }
    } else {
        memset(&f, 0, sizeof f);
    }
    const int32_t n = p->out_dims[3];
    if (n <= 0) {
        return FWGEN_OK;   /* no elements (and none to read for a broadcast buffer) */
    }
    int8_t *out = output;
    for (int32_t a = 0; a < p->out_dims[0]; ++a) {
        for (int32_t b = 0; b < p->out_dims[1]; ++b) {
            for (int32_t c = 0; c < p->out_dims[2]; ++c) {
                const int8_t *x1 = input1 + a * p->in1_strides[0] + b * p->in1_strides[1] + c * p->in1_strides[2];
                const int8_t *x2 = input2 + a * p->in2_strides[0] + b * p->in2_strides[1] + c * p->in2_strides[2];
                if (fast) {
                    /* an input broadcast along the row: its value from a buffer of copies */
                    const int32_t chunk = (s1 && s2) ? n : (n < ADD_FILL ? n : ADD_FILL);
                    if (s1 == 0) {
                        memset(fill1, *x1, (size_t)chunk);
                    }
                    if (s2 == 0) {
                        memset(fill2, *x2, (size_t)chunk);
                    }
                    for (int32_t d = 0; d < n; d += chunk) {
                        const int32_t k = n - d < chunk ? n - d : chunk;
                        add_fast_row(&f, s1 ? x1 + d : fill1, s2 ? x2 + d : fill2, out + d, k);
                    }
                } else {
                    for (int32_t d = 0; d < n; ++d) {
                        out[d] = add_exact(p, x1[d * p->in1_strides[3]], x2[d * p->in2_strides[3]]);
                    }
                }
                out += n;
            }
        }
    }
    return FWGEN_OK;
}
