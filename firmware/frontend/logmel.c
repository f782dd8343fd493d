/*
 * fwgen float log-mel frontend: streaming framing, float32 real FFT, sparse HTK mel filterbank
 * and natural log. See logmel.h for the contract. Our own implementation.
 *
 * Determinism: the host build (tests, training features) and the device build must compute the
 * same bits. So this file (a) turns off floating-point contraction (no fused multiply-add on
 * one target and separate multiply/add on another) and (b) uses its own logarithm instead of
 * the C library's logf (glibc and newlib round differently). sqrtf is IEEE correctly rounded.
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "frontend/logmel.h"

#include <math.h>
#include <string.h>

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

static int is_power_of_two(uint32_t n) { return n != 0u && (n & (n - 1u)) == 0u; }

size_t fwgen_logmel_get_buffer_size(const fwgen_logmel_config_t *cfg)
{
    if (cfg == NULL) {
        return 0;
    }
    return FWGEN_LOGMEL_BUFFER_BYTES(cfg->window_size, cfg->fft_length);
}

static fwgen_status_t check_config(const fwgen_logmel_config_t *cfg)
{
    if (cfg == NULL || cfg->window_hi == NULL || cfg->window_lo == NULL || cfg->preemph_hi == NULL ||
        cfg->preemph_lo == NULL || cfg->preemph_inv_gain == NULL || cfg->twiddles == NULL || cfg->permutation == NULL ||
        cfg->band_start == NULL || cfg->band_len == NULL || cfg->band_weights == NULL) {
        return FWGEN_ERR_ARG;
    }
    if (!is_power_of_two(cfg->fft_length) || cfg->fft_length < FWGEN_LOGMEL_MIN_FFT_LENGTH ||
        cfg->fft_length > FWGEN_LOGMEL_MAX_FFT_LENGTH) {
        return FWGEN_ERR_ARG;
    }
    if (cfg->window_size == 0u || cfg->window_size > cfg->fft_length || cfg->window_step == 0u ||
        cfg->window_step > cfg->window_size || cfg->n_channels == 0u) {
        return FWGEN_ERR_ARG;
    }
    if (!(cfg->log_offset > 0.0f)) {
        return FWGEN_ERR_ARG;
    }
    const uint32_t n_bins = (uint32_t)cfg->fft_length / 2u + 1u;
    for (uint32_t c = 0; c < cfg->n_channels; ++c) {
        if ((uint32_t)cfg->band_start[c] + cfg->band_len[c] > n_bins) {
            return FWGEN_ERR_ARG;
        }
    }
    return FWGEN_OK;
}

fwgen_status_t fwgen_logmel_init(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                 void *buffer, size_t size)
{
    fwgen_status_t status = check_config(cfg);
    if (status != FWGEN_OK) {
        return status;
    }
    if (state == NULL || buffer == NULL || ((uintptr_t)buffer & 3u) != 0u) {
        return FWGEN_ERR_ARG;
    }
    if (size < fwgen_logmel_get_buffer_size(cfg)) {
        return FWGEN_ERR_SIZE;
    }
    uint8_t *bytes = (uint8_t *)buffer;
    state->input = (int16_t *)(void *)bytes;
    state->scratch = (float *)(void *)(bytes + align8((size_t)cfg->window_size * 2u));
    return fwgen_logmel_reset(state);
}

fwgen_status_t fwgen_logmel_reset(fwgen_logmel_state_t *state)
{
    if (state == NULL || state->input == NULL) {
        return FWGEN_ERR_ARG;
    }
    state->input_used = 0;
    state->frames = 0;
    return FWGEN_OK;
}

/* exp(-2 pi i k / N) for 0 <= k < N from the half table (W^(k + N/2) = -W^k). */
static void twiddle(const fwgen_logmel_config_t *cfg, uint32_t k, float *wr, float *wi)
{
    const uint32_t half = (uint32_t)cfg->fft_length / 2u;
    if (k < half) {
        *wr = cfg->twiddles[2u * k];
        *wi = cfg->twiddles[2u * k + 1u];
    } else {
        *wr = -cfg->twiddles[2u * (k - half)];
        *wi = -cfg->twiddles[2u * (k - half) + 1u];
    }
}

static void cmul(float ar, float ai, float wr, float wi, float *outr, float *outi)
{
    *outr = ar * wr - ai * wi;
    *outi = ar * wi + ai * wr;
}

/*
 * In-place complex FFT of m = fft_length/2 points on interleaved {re, im} data that is already
 * in cfg->permutation order: radix-4 decimation-in-time stages (sizes 4, 16, ...), then one
 * radix-2 stage of size m when m is not a power of four. Radix 4 needs 3 twiddle products per
 * 4 points instead of radix 2's 4, which means less rounding as well as less work.
 */
static void complex_fft(const fwgen_logmel_config_t *cfg, float *z)
{
    const uint32_t n = cfg->fft_length;
    const uint32_t m = n / 2u;
    uint32_t size = 4u;
    for (; size <= m; size *= 4u) {
        const uint32_t q = size / 4u;
        const uint32_t stride = n / size; /* exp(-2 pi i j / size) == W_N^(j * n / size) */
        for (uint32_t j = 0; j < q; ++j) {
            float w1r, w1i, w2r, w2i, w3r, w3i;
            twiddle(cfg, j * stride, &w1r, &w1i);
            twiddle(cfg, 2u * j * stride, &w2r, &w2i);
            twiddle(cfg, 3u * j * stride, &w3r, &w3i);
            for (uint32_t start = 0; start < m; start += size) {
                float *p0 = &z[2u * (start + j)];
                float *p1 = p0 + 2u * q;
                float *p2 = p1 + 2u * q;
                float *p3 = p2 + 2u * q;
                float b1r, b1i, b2r, b2i, b3r, b3i;
                cmul(p1[0], p1[1], w1r, w1i, &b1r, &b1i);
                cmul(p2[0], p2[1], w2r, w2i, &b2r, &b2i);
                cmul(p3[0], p3[1], w3r, w3i, &b3r, &b3i);
                const float s02r = p0[0] + b2r, s02i = p0[1] + b2i;
                const float d02r = p0[0] - b2r, d02i = p0[1] - b2i;
                const float s13r = b1r + b3r, s13i = b1i + b3i;
                const float d13r = b1r - b3r, d13i = b1i - b3i;
                p0[0] = s02r + s13r;
                p0[1] = s02i + s13i;
                p1[0] = d02r + d13i; /* (a0 - a2) - i (a1 - a3) */
                p1[1] = d02i - d13r;
                p2[0] = s02r - s13r;
                p2[1] = s02i - s13i;
                p3[0] = d02r - d13i; /* (a0 - a2) + i (a1 - a3) */
                p3[1] = d02i + d13r;
            }
        }
    }
    if (size / 4u < m) { /* m = 2 * 4^k: a last radix-2 stage joins the two halves */
        const uint32_t half = m / 2u;
        for (uint32_t j = 0; j < half; ++j) {
            float wr, wi, br, bi;
            twiddle(cfg, 2u * j, &wr, &wi); /* exp(-2 pi i j / m) */
            float *a = &z[2u * j];
            float *b = &z[2u * (j + half)];
            cmul(b[0], b[1], wr, wi, &br, &bi);
            b[0] = a[0] - br;
            b[1] = a[1] - bi;
            a[0] = a[0] + br;
            a[1] = a[1] + bi;
        }
    }
}

/* Turns the half-size complex spectrum Z (in data) into the packed real spectrum X. */
static void split_real(const fwgen_logmel_config_t *cfg, float *data)
{
    const uint32_t m = (uint32_t)cfg->fft_length / 2u;
    /*   Fe = (Z[k] + conj(Z[m-k])) / 2,  Fo = (Z[k] - conj(Z[m-k])) / 2i,  t = W^k Fo
     *   X[k] = Fe + t,  X[m-k] = conj(Fe - t),  W = exp(-2 pi i / N). */
    const float z0r = data[0];
    const float z0i = data[1];
    data[0] = z0r + z0i; /* X[0] */
    data[1] = z0r - z0i; /* X[m], real */
    for (uint32_t k = 1u; k <= m / 2u; ++k) {
        const uint32_t mk = m - k;
        const float zkr = data[2u * k];
        const float zki = data[2u * k + 1u];
        const float zmr = data[2u * mk];
        const float zmi = data[2u * mk + 1u];
        const float fer = 0.5f * (zkr + zmr);
        const float fei = 0.5f * (zki - zmi);
        const float for_ = 0.5f * (zki + zmi);
        const float foi = -0.5f * (zkr - zmr);
        float tr, ti;
        cmul(for_, foi, cfg->twiddles[2u * k], cfg->twiddles[2u * k + 1u], &tr, &ti);
        data[2u * k] = fer + tr;
        data[2u * k + 1u] = fei + ti;
        if (mk != k) {
            data[2u * mk] = fer - tr;
            data[2u * mk + 1u] = -(fei - ti);
        }
    }
}

fwgen_status_t fwgen_logmel_rfft(const fwgen_logmel_config_t *cfg, const float *in, float *out)
{
    if (cfg == NULL || in == NULL || out == NULL || in == out || cfg->twiddles == NULL ||
        cfg->permutation == NULL || !is_power_of_two(cfg->fft_length) ||
        cfg->fft_length < FWGEN_LOGMEL_MIN_FFT_LENGTH || cfg->fft_length > FWGEN_LOGMEL_MAX_FFT_LENGTH) {
        return FWGEN_ERR_ARG;
    }
    const uint32_t m = (uint32_t)cfg->fft_length / 2u;
    /* z[p] = x[2n] + i x[2n+1] with n = permutation[p]: the real input read as complex. */
    for (uint32_t p = 0; p < m; ++p) {
        const uint32_t idx = cfg->permutation[p];
        out[2u * p] = in[2u * idx];
        out[2u * p + 1u] = in[2u * idx + 1u];
    }
    complex_fft(cfg, out);
    split_real(cfg, out);
    return FWGEN_OK;
}

/*
 * Natural logarithm of a positive, finite float, computed the same way on every target:
 * x = 2^e * m with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s), s = (m-1)/(m+1),
 * odd series to s^11 (|s| <= 0.1716: truncation < 1e-9). Error within a few ulp.
 */
static float logmel_logf(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    int32_t e = (int32_t)((bits >> 23) & 0xffu);
    if (e == 0) {
        /* subnormal: scale into the normal range first */
        x *= 8388608.0f; /* 2^23 */
        memcpy(&bits, &x, sizeof bits);
        e = (int32_t)((bits >> 23) & 0xffu) - 23;
    }
    e -= 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u; /* mantissa in [1, 2) */
    float m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356f) {
        m *= 0.5f;
        e += 1;
    }
    const float s = (m - 1.0f) / (m + 1.0f);
    const float s2 = s * s;
    const float series =
        s2 * (0.66666666667f + s2 * (0.4f + s2 * (0.28571428571f + s2 * (0.22222222222f +
                                                                      s2 * 0.18181818182f))));
    const float log_m = 2.0f * s + s * series;
    const float ef = (float)e;
    /* ln 2 = 0.693359375 (9 significant bits: exact times any exponent) - 2.12194440e-4 */
    return ef * 0.693359375f + (log_m - ef * 2.12194440e-4f);
}

/* u[i] = x[i] * w[i] (0 past the window), w split hi + lo: the hi product is exact. */
static float plain_sample(const fwgen_logmel_config_t *cfg, const int16_t *x, uint32_t i)
{
    if (i >= cfg->window_size) {
        return 0.0f;
    }
    const float xi = (float)x[i];
    return xi * cfg->window_hi[i] + xi * cfg->window_lo[i];
}

/* v[i] = u[i] - a u[i-1 mod N], rounded about once (hi products exact, lo parts small). */
static float emphasized_sample(const fwgen_logmel_config_t *cfg, const int16_t *x, uint32_t i)
{
    const uint32_t size = cfg->window_size;
    const uint32_t prev = i == 0u ? (uint32_t)cfg->fft_length - 1u : i - 1u;
    float hi = 0.0f;
    float lo = 0.0f;
    if (i < size) {
        const float xi = (float)x[i];
        hi = xi * cfg->window_hi[i];
        lo = xi * cfg->window_lo[i];
    }
    if (prev < size) {
        const float xp = (float)x[prev];
        hi = hi - xp * cfg->preemph_hi[prev];
        lo = lo - xp * cfg->preemph_lo[prev];
    }
    return hi + lo;
}

fwgen_status_t fwgen_logmel_compute_frame(const fwgen_logmel_config_t *cfg, const int16_t *window_samples,
                                          float *scratch, float *frame)
{
    fwgen_status_t status = check_config(cfg);
    if (status != FWGEN_OK) {
        return status;
    }
    if (window_samples == NULL || scratch == NULL || frame == NULL) {
        return FWGEN_ERR_ARG;
    }
    const uint32_t n = cfg->fft_length;
    const uint32_t m = n / 2u;
    const uint32_t size = cfg->window_size;
    /* Two FFTs: of u (plain) and of v (pre-emphasized). The rounding noise floor of each is
     * proportional to the root energy of its input, divided by |H[k]| for v after the exact
     * correction, so each bin takes its magnitude from the transform with the lower floor:
     * v when energy_v / |H[k]|^2 < energy_u. */
    const uint32_t used = size < n ? size + 1u : n; /* v is non-zero up to index size */
    float energy_u = 0.0f;
    float energy_v = 0.0f;
    float *zu = scratch;
    float *zv = scratch + n;
    /* Load both inputs straight into permuted complex order, z[p] = (s[2j], s[2j+1]), summing
     * the energies on the way (in that order, the same on every target). */
    for (uint32_t p = 0; p < m; ++p) {
        const uint32_t j = 2u * (uint32_t)cfg->permutation[p];
        float u0 = 0.0f, u1 = 0.0f, v0 = 0.0f, v1 = 0.0f;
        if (j < used) {
            u0 = plain_sample(cfg, window_samples, j);
            v0 = emphasized_sample(cfg, window_samples, j);
            if (j + 1u < used) {
                u1 = plain_sample(cfg, window_samples, j + 1u);
                v1 = emphasized_sample(cfg, window_samples, j + 1u);
            }
        }
        zu[2u * p] = u0;
        zu[2u * p + 1u] = u1;
        zv[2u * p] = v0;
        zv[2u * p + 1u] = v1;
        energy_u += u0 * u0 + u1 * u1;
        energy_v += v0 * v0 + v1 * v1;
    }
    complex_fft(cfg, zu);
    split_real(cfg, zu);
    complex_fft(cfg, zv);
    split_real(cfg, zv);

    /* Magnitudes into zu[k] (k <= 2k, so nothing unread is overwritten; bins 0 and m first). */
    const float g0 = cfg->preemph_inv_gain[0];
    const float gm = cfg->preemph_inv_gain[m];
    const float mag0 = energy_v * (g0 * g0) < energy_u ? fabsf(zv[0]) * g0 : fabsf(zu[0]);
    const float magm = energy_v * (gm * gm) < energy_u ? fabsf(zv[1]) * gm : fabsf(zu[1]);
    for (uint32_t k = 1u; k < m; ++k) {
        const float g = cfg->preemph_inv_gain[k];
        float mag;
        if (energy_v * (g * g) < energy_u) {
            const float re = zv[2u * k];
            const float im = zv[2u * k + 1u];
            mag = sqrtf(re * re + im * im) * g;
        } else {
            const float re = zu[2u * k];
            const float im = zu[2u * k + 1u];
            mag = sqrtf(re * re + im * im);
        }
        zu[k] = mag;
    }
    zu[0] = mag0;
    zu[m] = magm;

    const float *w = cfg->band_weights;
    for (uint32_t c = 0; c < cfg->n_channels; ++c) {
        const float *mag = &zu[cfg->band_start[c]];
        const uint32_t len = cfg->band_len[c];
        float acc = 0.0f;
        for (uint32_t j = 0; j < len; ++j) {
            acc += w[j] * mag[j];
        }
        w += len;
        frame[c] = logmel_logf(acc + cfg->log_offset);
    }
    return FWGEN_OK;
}

fwgen_status_t fwgen_logmel_process(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                    const int16_t *samples, size_t n_samples, size_t *n_consumed,
                                    float *frame, int *frame_ready)
{
    if (cfg == NULL || state == NULL || state->input == NULL || n_consumed == NULL ||
        frame == NULL || frame_ready == NULL || (samples == NULL && n_samples > 0u)) {
        return FWGEN_ERR_ARG;
    }
    *n_consumed = 0;
    *frame_ready = 0;
    const uint32_t size = cfg->window_size;
    if (state->input_used > size) {
        return FWGEN_ERR_STATE;
    }
    const size_t need = size - state->input_used;
    const size_t take = n_samples < need ? n_samples : need;
    if (take > 0u) {
        memcpy(&state->input[state->input_used], samples, take * sizeof(int16_t));
        state->input_used += (uint32_t)take;
    }
    *n_consumed = take;
    if (state->input_used < size) {
        return FWGEN_OK;
    }
    fwgen_status_t status = fwgen_logmel_compute_frame(cfg, state->input, state->scratch, frame);
    if (status != FWGEN_OK) {
        return status;
    }
    /* Keep the overlap for the next window. */
    const uint32_t step = cfg->window_step;
    memmove(state->input, &state->input[step], (size - step) * sizeof(int16_t));
    state->input_used = size - step;
    state->frames += 1u;
    *frame_ready = 1;
    return FWGEN_OK;
}

fwgen_status_t fwgen_logmel_process_many(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                         const int16_t *samples, size_t n_samples, size_t *n_consumed,
                                         float *frames, size_t max_frames, size_t *n_frames)
{
    if (cfg == NULL || n_consumed == NULL || n_frames == NULL || (frames == NULL && max_frames > 0u)) {
        return FWGEN_ERR_ARG;
    }
    *n_consumed = 0;
    *n_frames = 0;
    if (state == NULL || state->input_used > cfg->window_size) {
        return FWGEN_ERR_ARG;
    }
    size_t offset = 0;
    for (;;) {
        const size_t need = (size_t)cfg->window_size - state->input_used;
        if (*n_frames == max_frames && n_samples - offset >= need) {
            break; /* the next sample would complete a frame with no room for it */
        }
        size_t used = 0;
        int ready = 0;
        float unused = 0.0f; /* at capacity the call below cannot complete a frame */
        float *out = *n_frames < max_frames ? &frames[*n_frames * cfg->n_channels] : &unused;
        fwgen_status_t status = fwgen_logmel_process(cfg, state, samples == NULL ? NULL : samples + offset,
                                                     n_samples - offset, &used, out, &ready);
        if (status != FWGEN_OK) {
            return status;
        }
        offset += used;
        *n_consumed = offset;
        if (ready) {
            *n_frames += 1u;
        } else {
            break; /* input exhausted */
        }
    }
    return FWGEN_OK;
}

fwgen_status_t fwgen_logmel_quantize_s8(const float *in, size_t n, float scale, int32_t zero_point,
                                        int8_t *out)
{
    if ((n > 0u && (in == NULL || out == NULL)) || !(scale > 0.0f) || zero_point < -128 ||
        zero_point > 127) {
        return FWGEN_ERR_ARG;
    }
    for (size_t i = 0; i < n; ++i) {
        const float q = roundf(in[i] / scale);
        int32_t v;
        if (q >= 255.0f) {
            v = 255;
        } else if (q <= -256.0f) {
            v = -256;
        } else {
            v = (int32_t)q;
        }
        v += zero_point;
        out[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
    return FWGEN_OK;
}
