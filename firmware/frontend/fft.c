/*
 * Fixed-point real FFT with kiss_fft FIXED_POINT=16 arithmetic, written iteratively: the input is
 * placed in decimation-in-time order from a precomputed table, then the butterfly stages run from
 * the innermost to the outermost. Each butterfly divides by its radix first (x * (32767/radix),
 * rounded Q15), so values stay in int16; sums wrap to int16 exactly like the reference.
 *
 * Complex values are packed int16 pairs (frontend/simd.h): on cores with the DSP extension the
 * complex multiply is SMUSD/SMUADX and the complex sums SADD16/SSUB16/SASX/SSAX, which compute
 * exactly what the reference's int32 products and int16 stores do; elsewhere the same helpers
 * are plain C.
 */
#include "frontend/fft.h"

#include "frontend/bits.h"
#include "frontend/simd.h"

typedef fwgen_fe_pair_t pair_t;

/* Round a Q30 value back to Q15 and wrap it to int16 (kiss_fft's sround). */
static inline int32_t sround(int32_t x)
{
    return fwgen_fe_wrap16((x + (1 << 14)) >> 15);
}

/* Both halves times 32767/radix, rounded (kiss_fft's C_FIXDIV). */
static inline pair_t cdiv(pair_t a, int32_t scale)
{
    return fwgen_fe_pack(sround(fwgen_fe_lo(a) * scale), sround(fwgen_fe_hi(a) * scale));
}

/* Complex product, each part rounded from Q30 (kiss_fft's C_MUL). */
static inline pair_t cmul(pair_t a, pair_t b)
{
    return fwgen_fe_pack(sround(fwgen_fe_mul_sub(a, b)), sround(fwgen_fe_mul_add_x(a, b)));
}

static inline pair_t twiddle(const int16_t *table, uint32_t index)
{
    return fwgen_fe_load(table + 2u * index);
}

static void butterfly2(int16_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    for (uint32_t k = 0; k < m; ++k) {
        int16_t *p0 = f + 2u * k;
        int16_t *p1 = f + 2u * (k + m);
        const pair_t a = cdiv(fwgen_fe_load(p0), 32767 / 2);
        const pair_t b = cdiv(fwgen_fe_load(p1), 32767 / 2);
        const pair_t t = cmul(b, twiddle(tw, k * fstride));
        fwgen_fe_store(p1, fwgen_fe_sub(a, t));
        fwgen_fe_store(p0, fwgen_fe_add(a, t));
    }
}

static void butterfly4(int16_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    const uint32_t step = 2u * m; /* int16 elements between the four inputs */
    for (uint32_t k = 0; k < m; ++k) {
        int16_t *p0 = f + 2u * k;
        const pair_t f0 = cdiv(fwgen_fe_load(p0), 32767 / 4);
        const pair_t f1 = cdiv(fwgen_fe_load(p0 + step), 32767 / 4);
        const pair_t f2 = cdiv(fwgen_fe_load(p0 + 2u * step), 32767 / 4);
        const pair_t f3 = cdiv(fwgen_fe_load(p0 + 3u * step), 32767 / 4);
        const pair_t s0 = cmul(f1, twiddle(tw, k * fstride));
        const pair_t s1 = cmul(f2, twiddle(tw, 2u * k * fstride));
        const pair_t s2 = cmul(f3, twiddle(tw, 3u * k * fstride));
        const pair_t s5 = fwgen_fe_sub(f0, s1);
        const pair_t t0 = fwgen_fe_add(f0, s1);
        const pair_t s3 = fwgen_fe_add(s0, s2);
        const pair_t s4 = fwgen_fe_sub(s0, s2);
        fwgen_fe_store(p0 + 2u * step, fwgen_fe_sub(t0, s3));
        fwgen_fe_store(p0, fwgen_fe_add(t0, s3));
        /* forward transform: s5 - j*s4 and s5 + j*s4 */
        fwgen_fe_store(p0 + step, fwgen_fe_sax(s5, s4));
        fwgen_fe_store(p0 + 3u * step, fwgen_fe_asx(s5, s4));
    }
}

static void complex_fft(const fwgen_frontend_config_t *config, const int16_t *in, int16_t *out)
{
    const uint32_t n = config->fft_length / 2u;
    for (uint32_t j = 0; j < n; ++j) {
        fwgen_fe_store(out + 2u * j, fwgen_fe_load(in + 2u * config->fft_input_order[j]));
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
                       int16_t *work, int16_t *output)
{
    const uint32_t n = config->fft_length / 2u;
    complex_fft(config, input, work);

    const pair_t dc = cdiv(fwgen_fe_load(work), 32767 / 2);
    fwgen_fe_store(output, fwgen_fe_pack(fwgen_fe_lo(dc) + fwgen_fe_hi(dc), 0));
    fwgen_fe_store(output + 2u * n, fwgen_fe_pack(fwgen_fe_lo(dc) - fwgen_fe_hi(dc), 0));
    for (uint32_t k = 1; k <= n / 2u; ++k) {
        const pair_t fpk = cdiv(fwgen_fe_load(work + 2u * k), 32767 / 2);
        const pair_t mirror = fwgen_fe_load(work + 2u * (n - k));
        const pair_t fpnk = cdiv(fwgen_fe_pack(fwgen_fe_lo(mirror), -fwgen_fe_hi(mirror)), 32767 / 2);
        const pair_t f1k = fwgen_fe_add(fpk, fpnk);
        const pair_t f2k = fwgen_fe_sub(fpk, fpnk);
        const pair_t tw = cmul(f2k, twiddle(config->fft_super_twiddles, k - 1u));
        /* halves of int sums (no wrap before the shift), then stored as int16 */
        fwgen_fe_store(output + 2u * k,
                       fwgen_fe_pack((fwgen_fe_lo(f1k) + fwgen_fe_lo(tw)) >> 1,
                                     (fwgen_fe_hi(f1k) + fwgen_fe_hi(tw)) >> 1));
        fwgen_fe_store(output + 2u * (n - k),
                       fwgen_fe_pack((fwgen_fe_lo(f1k) - fwgen_fe_lo(tw)) >> 1,
                                     (fwgen_fe_hi(tw) - fwgen_fe_hi(f1k)) >> 1));
    }
}
