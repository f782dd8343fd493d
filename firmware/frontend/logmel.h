/*
 * fwgen float log-mel frontend (YAMNet / ST model zoo spectrogram) for cores with an FPU.
 *
 * Pipeline per frame (one frame every `window_step` samples once `window_size` samples are in):
 *   1. u[n] = x[n] * hann[n] / 32768, zero-padded to fft_length (x = int16 samples)
 *   2. X[k] = real FFT of u, k = 0 .. fft_length/2
 *   3. mel[c] = sum_k weight[c][k] * |X[k]|       (magnitude, not power)
 *   4. out[c] = logf(mel[c] + log_offset)
 *
 * Numerics (float32, same bits on host and device): an FFT's rounding noise floor follows the
 * energy of its input, which would bury quiet mel bands of loud frames (speech is loud at low
 * frequencies and quiet at high ones). So each frame is transformed twice: u, and the circularly
 * pre-emphasized v[n] = u[n] - a u[n-1 mod N], whose spectrum is exactly
 * V[k] = X[k] (1 - a exp(-2 pi i k / N)). Bin k takes |V[k]| * preemph_inv_gain[k] when
 * sum(v^2) * preemph_inv_gain[k]^2 < sum(u^2) (the lower expected noise floor), else |U[k]|;
 * both are the same mathematical |X[k]|. The window products x[n] * w[n] use a window split
 * into a high part with 8 significant bits (exact times an int16) and a low part, so u[n] and
 * v[n] are rounded about once. The FFT is radix 4 (fewer roundings than radix 2).
 *
 * All tables (window, pre-emphasis gains, FFT twiddles and input permutation, sparse mel
 * weights; a = 0.9) are computed by fwgen in
 * Python (fwgen.frontend.logmel) and either rendered into `static const` data
 * (templates/logmel_tables.c.j2) or passed in by the host binding. Nothing here allocates or
 * builds tables: the caller owns the configuration, the state and its working buffer.
 *
 * Usage (streaming, chunks of any size):
 *   static uint32_t buf[(FWGEN_LOGMEL_BUFFER_SIZE + 3) / 4];  // fwgen_logmel_get_buffer_size(&cfg)
 *   fwgen_logmel_state_t st;
 *   fwgen_logmel_init(&cfg, &st, buf, sizeof buf);
 *   while (n > 0) {
 *       size_t used; int ready;
 *       fwgen_logmel_process(&cfg, &st, samples, n, &used, frame, &ready);
 *       samples += used; n -= used;
 *       if (ready) { ... frame[0 .. n_channels-1] holds one log-mel frame, e.g.
 *           fwgen_logmel_quantize_s8(frame, n_channels, input_scale, input_zero_point, slot); }
 *   }
 */
#ifndef FWGEN_FRONTEND_LOGMEL_H
#define FWGEN_FRONTEND_LOGMEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits checked by fwgen_logmel_init (the Python settings validation uses the same). */
#define FWGEN_LOGMEL_MIN_FFT_LENGTH 16u
#define FWGEN_LOGMEL_MAX_FFT_LENGTH 4096u

/* Bytes of working buffer for a configuration (use for static allocation): the int16 input
 * window rounded up to 8 bytes, plus 2 * fft_length floats of FFT scratch. */
#define FWGEN_LOGMEL_BUFFER_BYTES(window_size, fft_length) \
    ((((size_t)(window_size) * 2u + 7u) & ~(size_t)7u) + (size_t)(fft_length) * 8u)

/*
 * Configuration: sizes plus pointers to constant tables. Never modified by the library.
 * window_size  [in] samples per analysis window, 1 .. fft_length
 * window_step  [in] samples between frames, 1 .. window_size
 * fft_length   [in] power of two, FWGEN_LOGMEL_MIN_FFT_LENGTH .. FWGEN_LOGMEL_MAX_FFT_LENGTH
 * n_channels   [in] mel channels (frame length), >= 1
 * log_offset   [in] added before the logarithm, > 0 (YAMNet 0.001, ST training 1e-4)
 * window_hi    [in] window_size floats: w[n] = hann[n] / 32768 rounded to 8 significant bits
 * window_lo    [in] window_size floats: w[n] - window_hi[n]
 * preemph_hi   [in] window_size floats: a * w[n] rounded to 8 significant bits
 * preemph_lo   [in] window_size floats: a * w[n] - preemph_hi[n]
 * preemph_inv_gain [in] fft_length/2+1 floats: 1 / |1 - a exp(-2 pi i k / N)|
 * twiddles     [in] fft_length/2 pairs {cos(2*pi*k/N), -sin(2*pi*k/N)}, k = 0 .. N/2-1
 * permutation  [in] fft_length/2 entries: FFT input order; position p holds complex sample
 *                   permutation[p] (base-4 digit reversal; with N/2 = 2 * 4^k each half in
 *                   that order, even samples first)
 * band_start   [in] n_channels first FFT bins, each band within 0 .. fft_length/2
 * band_len     [in] n_channels band widths in bins (0 allowed: the channel is log(offset))
 * band_weights [in] sum(band_len) floats: HTK triangle weights, bands concatenated in order
 */
typedef struct {
    uint16_t window_size;
    uint16_t window_step;
    uint16_t fft_length;
    uint16_t n_channels;
    float log_offset;
    const float *window_hi;
    const float *window_lo;
    const float *preemph_hi;
    const float *preemph_lo;
    const float *preemph_inv_gain;
    const float *twiddles;
    const uint16_t *permutation;
    const uint16_t *band_start;
    const uint16_t *band_len;
    const float *band_weights;
} fwgen_logmel_config_t;

/* Streaming state. Opaque to callers: set up by fwgen_logmel_init, cleared by _reset. */
typedef struct {
    int16_t *input;       /* window_size samples: the current (partial) window */
    float *scratch;       /* 2 * fft_length floats: FFT work area */
    uint32_t input_used;  /* samples currently held in input[] */
    uint32_t frames;      /* frames emitted since init/reset */
} fwgen_logmel_state_t;

/*
 * Bytes of working buffer fwgen_logmel_init needs for this configuration
 * (FWGEN_LOGMEL_BUFFER_BYTES). Returns 0 when cfg is NULL.
 */
size_t fwgen_logmel_get_buffer_size(const fwgen_logmel_config_t *cfg);

/*
 * Checks the configuration and binds the state to a caller-owned buffer.
 * cfg     [in]  configuration (see limits above)
 * state   [out] state to initialise
 * buffer  [in]  working memory, 4-byte aligned, at least fwgen_logmel_get_buffer_size(cfg) bytes;
 *               must live as long as the state
 * size    [in]  size of buffer in bytes
 * Returns FWGEN_OK, FWGEN_ERR_ARG (NULL, misaligned or out-of-range config), FWGEN_ERR_SIZE.
 */
fwgen_status_t fwgen_logmel_init(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                 void *buffer, size_t size);

/* Drops any buffered samples: the next frame starts with the next sample given. */
fwgen_status_t fwgen_logmel_reset(fwgen_logmel_state_t *state);

/*
 * Consumes samples until one frame is complete or the input is exhausted.
 * samples    [in]  int16 PCM at the configured rate (may be NULL when n_samples is 0)
 * n_samples  [in]  number of samples available
 * n_consumed [out] samples taken from `samples` (<= n_samples); call again with the rest
 * frame      [out] n_channels floats, written only when *frame_ready is 1
 * frame_ready[out] 1 when a frame was produced by this call, else 0
 * At most one frame per call: loop while samples remain.
 */
fwgen_status_t fwgen_logmel_process(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                    const int16_t *samples, size_t n_samples, size_t *n_consumed,
                                    float *frame, int *frame_ready);

/*
 * Convenience loop over fwgen_logmel_process: consumes samples and writes up to max_frames
 * frames back to back (frame f at frames[f * n_channels]).
 * n_consumed [out] samples taken: all of them, unless one more frame would have been completed
 *                  after max_frames frames (then the samples from that point on are left)
 * n_frames   [out] frames written
 */
fwgen_status_t fwgen_logmel_process_many(const fwgen_logmel_config_t *cfg, fwgen_logmel_state_t *state,
                                         const int16_t *samples, size_t n_samples, size_t *n_consumed,
                                         float *frames, size_t max_frames, size_t *n_frames);

/*
 * One frame from exactly window_size samples, no streaming state (same arithmetic as _process).
 * scratch [in,out] 2 * fft_length floats of work area.
 */
fwgen_status_t fwgen_logmel_compute_frame(const fwgen_logmel_config_t *cfg, const int16_t *window_samples,
                                          float *scratch, float *frame);

/*
 * Quantizes floats to int8 the way TFLite's QUANTIZE op does:
 *   out[i] = clamp(round_half_away(in[i] / scale) + zero_point, -128, 127)
 * in [in] n floats; scale [in] > 0; zero_point [in] -128 .. 127; out [out] n int8 values.
 */
fwgen_status_t fwgen_logmel_quantize_s8(const float *in, size_t n, float scale, int32_t zero_point,
                                        int8_t *out);

/*
 * Float32 real FFT used by the frontend, exposed for tests.
 * in  [in]  fft_length floats
 * out [out] fft_length floats (not aliasing in): packed spectrum {X0.re, X(N/2).re, X1.re,
 *           X1.im, X2.re, ...}: bins 1 .. N/2-1 as re/im pairs; bins 0 and N/2 are real
 */
fwgen_status_t fwgen_logmel_rfft(const fwgen_logmel_config_t *cfg, const float *in, float *out);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_FRONTEND_LOGMEL_H */
