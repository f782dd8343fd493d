/*
 * Mel filterbank (internal): FFT spectrum -> energies -> weighted band sums -> sqrt.
 */
#ifndef FWGEN_FRONTEND_FILTERBANK_H
#define FWGEN_FRONTEND_FILTERBANK_H

#include <stdint.h>

#include "frontend/frontend.h"

/*
 * spectrum  [in]  fft_length/2 + 1 complex int16 (interleaved re, im)
 * channels  [out] n_channels values sqrt(weighted |X|^2) >> scale_down_shift
 */
void fwgen_fe_filterbank(const fwgen_frontend_config_t *config, const int16_t *spectrum,
                         uint32_t *channels, int scale_down_shift);

#endif /* FWGEN_FRONTEND_FILTERBANK_H */
