/*
 * Fixed-point real FFT with kiss_fft FIXED_POINT=16 arithmetic, written iteratively: the input is
 * placed in decimation-in-time order from a precomputed table, then the butterfly stages run from
 * the innermost to the outermost. Each butterfly divides by its radix first (x * (32767/radix),
 * rounded Q15), so values stay in int16; sums wrap to int16 exactly like the reference.
 */
#include "frontend/fft.h"

#include "frontend/bits.h"

typedef struct {
    int16_t r;
    int16_t i;
} cpx_t;

/* Round a Q30 product back to Q15 and store it as int16. */
static inline int16_t sround(int32_t x)
{
    return fwgen_fe_wrap16((x + (1 << 14)) >> 15);
}

static inline cpx_t cdiv(cpx_t a, int32_t scale)
{
    cpx_t out = { sround((int32_t)a.r * scale), sround((int32_t)a.i * scale) };
    return out;
}

static inline cpx_t cmul(cpx_t a, cpx_t b)
{
    cpx_t out = { sround((int32_t)a.r * b.r - (int32_t)a.i * b.i),
                  sround((int32_t)a.r * b.i + (int32_t)a.i * b.r) };
    return out;
}

static inline cpx_t cadd(cpx_t a, cpx_t b)
{
    cpx_t out = { fwgen_fe_wrap16((int32_t)a.r + b.r), fwgen_fe_wrap16((int32_t)a.i + b.i) };
    return out;
}

static inline cpx_t csub(cpx_t a, cpx_t b)
{
    cpx_t out = { fwgen_fe_wrap16((int32_t)a.r - b.r), fwgen_fe_wrap16((int32_t)a.i - b.i) };
    return out;
}

static inline cpx_t twiddle(const int16_t *table, uint32_t index)
{
    cpx_t out = { table[2u * index], table[2u * index + 1u] };
    return out;
}

static void butterfly2(cpx_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    for (uint32_t k = 0; k < m; ++k) {
        const cpx_t a = cdiv(f[k], 32767 / 2);
        const cpx_t b = cdiv(f[k + m], 32767 / 2);
        const cpx_t t = cmul(b, twiddle(tw, k * fstride));
        f[k + m] = csub(a, t);
        f[k] = cadd(a, t);
    }
}

static void butterfly4(cpx_t *f, const int16_t *tw, uint32_t fstride, uint32_t m)
{
    for (uint32_t k = 0; k < m; ++k) {
        const cpx_t f0 = cdiv(f[k], 32767 / 4);
        const cpx_t f1 = cdiv(f[k + m], 32767 / 4);
        const cpx_t f2 = cdiv(f[k + 2u * m], 32767 / 4);
        const cpx_t f3 = cdiv(f[k + 3u * m], 32767 / 4);
        const cpx_t s0 = cmul(f1, twiddle(tw, k * fstride));
        const cpx_t s1 = cmul(f2, twiddle(tw, 2u * k * fstride));
        const cpx_t s2 = cmul(f3, twiddle(tw, 3u * k * fstride));
        const cpx_t s5 = csub(f0, s1);
        const cpx_t t0 = cadd(f0, s1);
        const cpx_t s3 = cadd(s0, s2);
        const cpx_t s4 = csub(s0, s2);
        f[k + 2u * m] = csub(t0, s3);
        f[k] = cadd(t0, s3);
        f[k + m].r = fwgen_fe_wrap16((int32_t)s5.r + s4.i);
        f[k + m].i = fwgen_fe_wrap16((int32_t)s5.i - s4.r);
        f[k + 3u * m].r = fwgen_fe_wrap16((int32_t)s5.r - s4.i);
        f[k + 3u * m].i = fwgen_fe_wrap16((int32_t)s5.i + s4.r);
    }
}

static void complex_fft(const fwgen_frontend_config_t *config, const cpx_t *in, cpx_t *out)
{
    const uint32_t n = config->fft_length / 2u;
    for (uint32_t j = 0; j < n; ++j) {
        out[j] = in[config->fft_input_order[j]];
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
                butterfly4(out + b * block, config->fft_twiddles, fstride[s], m);
            } else {
                butterfly2(out + b * block, config->fft_twiddles, fstride[s], m);
            }
        }
    }
}

void fwgen_fe_fft_real(const fwgen_frontend_config_t *config, const int16_t *input,
                       int16_t *work, int16_t *output)
{
    const uint32_t n = config->fft_length / 2u;
    cpx_t *tmp = (cpx_t *)(void *)work;
    cpx_t *freq = (cpx_t *)(void *)output;
    complex_fft(config, (const cpx_t *)(const void *)input, tmp);

    const cpx_t dc = cdiv(tmp[0], 32767 / 2);
    freq[0].r = fwgen_fe_wrap16((int32_t)dc.r + dc.i);
    freq[0].i = 0;
    freq[n].r = fwgen_fe_wrap16((int32_t)dc.r - dc.i);
    freq[n].i = 0;
    for (uint32_t k = 1; k <= n / 2u; ++k) {
        const cpx_t fpk = cdiv(tmp[k], 32767 / 2);
        cpx_t conj = { tmp[n - k].r, fwgen_fe_wrap16(-(int32_t)tmp[n - k].i) };
        const cpx_t fpnk = cdiv(conj, 32767 / 2);
        const cpx_t f1k = cadd(fpk, fpnk);
        const cpx_t f2k = csub(fpk, fpnk);
        const cpx_t tw = cmul(f2k, twiddle(config->fft_super_twiddles, k - 1u));
        freq[k].r = fwgen_fe_wrap16(((int32_t)f1k.r + tw.r) >> 1);
        freq[k].i = fwgen_fe_wrap16(((int32_t)f1k.i + tw.i) >> 1);
        freq[n - k].r = fwgen_fe_wrap16(((int32_t)f1k.r - tw.r) >> 1);
        freq[n - k].i = fwgen_fe_wrap16(((int32_t)tw.i - f1k.i) >> 1);
    }
}
