/*
 * Fixed-point real FFT with kiss_fft FIXED_POINT=16 arithmetic, written iteratively: the input is
 * placed in decimation-in-time order from a precomputed table (and scaled up by the window's
 * shift on the way), then the butterfly stages run from the innermost to the outermost. Each
 * butterfly divides by its radix first (x * (32767/radix), rounded Q15), so values stay in int16;
 * sums wrap to int16 exactly like the reference.
 *
 * Complex values are packed int16 pairs (frontend/simd.h): on cores with the DSP extension a
 * rounded Q15 product is one SMLABB/SMLATB/SMLSD/SMLADX with the rounding constant as its
 * accumulator and a PKHBT, the complex sums SADD16/SSUB16/SASX/SSAX and the real split's halved
 * sums SHADD16/SHSUB16, which compute exactly what the reference's int32 products and int16
 * stores do; elsewhere the same helpers are plain C.
 *
 * The one shortcut: in a radix-4 butterfly the k = 0 twiddles are all 32767 + 0j, and a Q15
 * product by 32767 returns its input unchanged for inputs in (-16384, 16384]; after the division
 * by 4 every input is within +-8191, so those three products are skipped (exactly). The whole
 * innermost radix-4 stage has only k = 0. (After a radix-2 division -16384 can occur, which the
 * product would turn into -16383, so radix-2 butterflies keep every product.)
 */
#include "frontend/fft.h"

#include "frontend/simd.h"

typedef fwgen_fe_pair_t pair_t;

static inline pair_t load(const int16_t *p) { return fwgen_fe_load(p); }
static inline void store(int16_t *p, pair_t v) { fwgen_fe_store(p, v); }

static void butterfly2(int16_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    const int16_t *w = tw;
    for (uint32_t k = 0; k < m; ++k, w += 2u * fstride) {
        int16_t *p0 = f + 2u * k;
        int16_t *p1 = p0 + 2u * m;
        const pair_t a = fwgen_fe_scale(load(p0), 32767 / 2);
        const pair_t t = fwgen_fe_cmul(fwgen_fe_scale(load(p1), 32767 / 2), load(w));
        store(p1, fwgen_fe_sub(a, t));
        store(p0, fwgen_fe_add(a, t));
    }
}

/* The radix-4 sums of f0 and the three twiddled inputs s0, s1, s2, stored `step` apart. */
static inline void radix4_sums(int16_t *p0, uint32_t step, pair_t f0, pair_t s0, pair_t s1,
                               pair_t s2)
{
    const pair_t s5 = fwgen_fe_sub(f0, s1);
    const pair_t t0 = fwgen_fe_add(f0, s1);
    const pair_t s3 = fwgen_fe_add(s0, s2);
    const pair_t s4 = fwgen_fe_sub(s0, s2);
    store(p0 + 2u * step, fwgen_fe_sub(t0, s3));
    store(p0, fwgen_fe_add(t0, s3));
    /* forward transform: s5 - j*s4 and s5 + j*s4 */
    store(p0 + step, fwgen_fe_sax(s5, s4));
    store(p0 + 3u * step, fwgen_fe_asx(s5, s4));
}

static void butterfly4(int16_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    const uint32_t step = 2u * m; /* int16 elements between the four inputs */
    int16_t *p0 = f;
    /* k = 0: twiddles 1 + 0j (see the top of the file) */
    radix4_sums(p0, step, fwgen_fe_scale(load(p0), 32767 / 4),
                fwgen_fe_scale(load(p0 + step), 32767 / 4),
                fwgen_fe_scale(load(p0 + 2u * step), 32767 / 4),
                fwgen_fe_scale(load(p0 + 3u * step), 32767 / 4));
    /* k >= 1: one pointer per input, twiddles k, 2k and 3k times fstride */
    int16_t *p1 = p0 + step, *p2 = p1 + step, *p3 = p2 + step;
    const int16_t *const end = p1;
    const uint32_t tw_step = 2u * fstride;
    uint32_t j = 0;
    while ((p0 += 2) != end) {
        p1 += 2;
        p2 += 2;
        p3 += 2;
        j += tw_step;
        /* in an order that keeps few values live (the core has 13 registers to spare) */
        const pair_t s0 = fwgen_fe_cmul(fwgen_fe_scale(load(p1), 32767 / 4), load(tw + j));
        const pair_t s2 = fwgen_fe_cmul(fwgen_fe_scale(load(p3), 32767 / 4), load(tw + 3u * j));
        const pair_t s3 = fwgen_fe_add(s0, s2);
        const pair_t s4 = fwgen_fe_sub(s0, s2);
        const pair_t s1 = fwgen_fe_cmul(fwgen_fe_scale(load(p2), 32767 / 4), load(tw + 2u * j));
        const pair_t f0 = fwgen_fe_scale(load(p0), 32767 / 4);
        const pair_t s5 = fwgen_fe_sub(f0, s1);
        const pair_t t0 = fwgen_fe_add(f0, s1);
        store(p2, fwgen_fe_sub(t0, s3));
        store(p0, fwgen_fe_add(t0, s3));
        store(p1, fwgen_fe_sax(s5, s4));
        store(p3, fwgen_fe_asx(s5, s4));
    }
}

static void complex_fft(const fwgen_frontend_config_t *config, const int16_t *in, uint32_t shift,
                        int16_t *out)
{
    const uint32_t n = config->fft_length / 2u;
    const uint16_t *order = config->fft_input_order;
    for (uint32_t j = 0; j < n; ++j) {
        store(out + 2u * j, fwgen_fe_shl(load(in + 2u * order[j]), shift));
    }
    /* fstride of each stage: product of the radices outside it. */
    uint32_t fstride[FWGEN_FRONTEND_MAX_FFT_STAGES];
    uint32_t product = 1;
    for (uint32_t s = 0; s < config->fft_n_stages; ++s) {
        fstride[s] = product;
        product *= config->fft_radix[s];
    }
    for (uint32_t s = config->fft_n_stages; s-- > 0;) {
        const uint32_t radix = config->fft_radix[s];
        const uint32_t block = n / fstride[s];
        const uint32_t m = block / radix;
        for (uint32_t b = 0; b < fstride[s]; ++b) {
            if (radix == 4u) {
                butterfly4(out + 2u * b * block, config->fft_twiddles, fstride[s], m);
            } else {
                butterfly2(out + 2u * b * block, config->fft_twiddles, fstride[s], m);
            }
        }
    }
}

void fwgen_fe_fft_real(const fwgen_frontend_config_t *config, const int16_t *input,
                       uint32_t shift, int16_t *work, int16_t *output)
{
    const uint32_t n = config->fft_length / 2u;
    complex_fft(config, input, shift, work);

    const pair_t dc = fwgen_fe_scale(load(work), 32767 / 2);
    store(output, fwgen_fe_pack(fwgen_fe_lo(dc) + fwgen_fe_hi(dc), 0));
    store(output + 2u * n, fwgen_fe_pack(fwgen_fe_lo(dc) - fwgen_fe_hi(dc), 0));
    const int16_t *w = config->fft_super_twiddles;
    for (uint32_t k = 1; k <= n / 2u; ++k, w += 2) {
        const pair_t fpk = fwgen_fe_scale(load(work + 2u * k), 32767 / 2);
        const pair_t mirror = load(work + 2u * (n - k));
        /* conjugate (the imaginary half negated with int16 wrap), then divided */
        const pair_t fpnk = fwgen_fe_scale((mirror ^ 0xFFFF0000u) + 0x10000u, 32767 / 2);
        const pair_t f1k = fwgen_fe_add(fpk, fpnk);
        const pair_t tw = fwgen_fe_cmul(fwgen_fe_sub(fpk, fpnk), load(w));
        /* halves of int sums (no wrap before the shift), then stored as int16:
         * out[k] = (f1k + tw) / 2, out[n - k] = (f1k.re - tw.re, tw.im - f1k.im) / 2 */
        store(output + 2u * k, fwgen_fe_half_add(f1k, tw));
        store(output + 2u * (n - k), fwgen_fe_half_sub(fwgen_fe_blend(f1k, tw),
                                                        fwgen_fe_blend(tw, f1k)));
    }
}
