/*
 * Fixed-point real FFT (internal), integer-identical to kiss_fftr with FIXED_POINT=16:
 * a complex FFT of N/2 points over (x[2k], x[2k+1]) pairs, radix-4/2 decimation in time with
 * a division by the radix at every stage (Q15 rounding), then the real-split post-processing.
 * Twiddles, super-twiddles and the input order come precomputed in the config. Cores with the
 * DSP extension run the butterflies on packed int16 pairs with DSP instructions (simd.h),
 * with the same results.
 */
#ifndef FWGEN_FRONTEND_FFT_H
#define FWGEN_FRONTEND_FFT_H

#include <stdint.h>

#include "frontend/frontend.h"

/*
 * input   [in]  fft_length int16 real samples, 4-byte aligned
 * shift   [in]  0..15: the transform is of (int16)(input[i] << shift) (the window's headroom
 *               shift, applied here while the input is reordered)
 * work    [out] scratch, fft_length/2 complex int16 (interleaved re, im)
 * output  [out] fft_length/2 + 1 complex int16 (interleaved re, im)
 */
void fwgen_fe_fft_real(const fwgen_frontend_config_t *config, const int16_t *input,
                       uint32_t shift, int16_t *work, int16_t *output);

#endif /* FWGEN_FRONTEND_FFT_H */
